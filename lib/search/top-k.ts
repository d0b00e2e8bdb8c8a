/**
 * The `k` items with the highest score, best first (ties by the smaller item, so results are stable).
 * A bounded min-heap: O(n log k), without sorting everything that matched.
 */
export function topK(items: ArrayLike<number>, score: (item: number) => number, k: number): number[] {
  if (k <= 0) return [];
  const heap: number[] = [];
  const heapScores: number[] = [];
  // The heap's root is its worst entry: lower score, or equal score and larger item.
  const worse = (i: number, j: number) => heapScores[i]! < heapScores[j]! || (heapScores[i] === heapScores[j] && heap[i]! > heap[j]!);
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j]!, heap[i]!];
    [heapScores[i], heapScores[j]] = [heapScores[j]!, heapScores[i]!];
  };
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && worse(left, smallest)) smallest = left;
      if (right < heap.length && worse(right, smallest)) smallest = right;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  for (let n = 0; n < items.length; n++) {
    const item = items[n]!;
    const value = score(item);
    if (heap.length < k) {
      heap.push(item);
      heapScores.push(value);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (value > heapScores[0]! || (value === heapScores[0] && item < heap[0]!)) {
      heap[0] = item;
      heapScores[0] = value;
      siftDown(0);
    }
  }
  const order = heap.map((item, index) => ({ item, value: heapScores[index]! }));
  order.sort((a, b) => b.value - a.value || a.item - b.item);
  return order.map((entry) => entry.item);
}
