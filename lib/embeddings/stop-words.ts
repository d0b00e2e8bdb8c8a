/**
 * The most frequent English function words. Without IDF (the local embedder sees one text at a time),
 * these would dominate every vector and make unrelated texts look alike, so their unigrams count little.
 * Changing this list changes the vectors: it is part of the `local-hash-v1` model definition.
 */
export const englishStopWords: readonly string[] = [
  "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
  "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "don", "for", "from", "had",
  "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is",
  "it", "its", "just", "let", "ll", "me", "more", "most", "my", "no", "not", "now", "of", "on", "one", "only",
  "or", "other", "our", "out", "re", "s", "says", "said", "she", "should", "so", "some", "such", "t", "than", "that",
  "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too", "up", "us", "ve",
  "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with",
  "would", "you", "your", "yours",
];
