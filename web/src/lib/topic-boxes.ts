/**
 * Whether a topic's box in the map has room for its label (up to three lines) and its count: a box of
 * ordinary width from 56 px tall, and a narrow one (from 54 px, a word a line in the compact type) from
 * 100 px tall. A box without room shows its count only; its button is then named in full.
 */
export function labelFits(width: number, height: number): boolean {
  return (width >= 70 && height >= 56) || (width >= 54 && height >= 100);
}
