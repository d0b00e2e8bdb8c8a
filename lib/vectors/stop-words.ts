/**
 * English function words (after the NLTK and scikit-learn lists): the words of a question that say
 * nothing about what it asks, so search does not mark them in its excerpts.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against ain all also although am an and any are aren as at be because been
  before being below between both but by can cannot could couldn did didn do does doesn doing don done down
  during each either else etc even ever every few for from further get gets getting got had hadn has hasn
  have haven having he her here hers herself him himself his how however i if in into is isn it its itself
  just least less let lets like ll may me might mightn more most much must mustn my myself need needs
  neither never no nor not now of off often on once one only or other others otherwise our ours ourselves
  out over own per perhaps please quite rather re really same say says shall shan she should shouldn since
  so some something sometimes still such than that the their theirs them themselves then there therefore
  these they thing things this those though through thus to too under until up upon us use used uses using
  ve very via was wasn way we well were weren what whatever when where whether which while who whom whose
  why will with within without won would wouldn yes yet you your yours yourself yourselves`.split(/\s+/).filter(Boolean),
);

/**
 * Words too common to name a topic: the function words above,
 * the small talk of chat exchanges ("please", "thanks", "sure"), and URL debris. Topic labels weigh terms
 * against the whole vault too, so this list only has to catch what is frequent everywhere; other
 * languages rely on that weighting alone.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  ...FUNCTION_WORDS,
  ...`able actually already always another anything around ask asked back best better bit came come comes
  different enough example examples feel find first give given go goes going
  good great help helps hello hey hi keep kind know lot make makes making many maybe mean means new
  next okay ok right see seems sure take tell thank thanks think thought try trying two want wants
  whole work works yeah
  http https www com org net html`.split(/\s+/).filter(Boolean),
]);
