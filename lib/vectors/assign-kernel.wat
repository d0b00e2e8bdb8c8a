;; The clustering's assignment pass for a block of rows (lib/vectors/assign-kernel.ts), in WebAssembly
;; with 128-bit SIMD (https://webassembly.github.io/spec/core/syntax/instructions.html#vector-instructions).
;; What lib/vectors/shortlist-model.ts `assignShortlisted` does for each row, with its sketch and its
;; cluster's sum, in one pass over the block (`firstNonFinite` checks the block first):
;;
;;   1. the row's count sketch (sign × value added into the dimension's bucket, in f32 as the JS does),
;;      scaled to unit length if `unitSketch` is not 0;
;;   2. the sketch's score against every sketched centroid, and the `m` best of them (ties keep the
;;      lower centroid), of which those within `margin` of the best are the candidates;
;;   3. each candidate's score in full dimensions; the best wins (ties: the lower centroid);
;;   4. the row added into its cluster's sum (f64, element by element, as the JS does).
;;
;; Dot products are summed in f32 lanes, four at a time: scores differ from the JS's f64 sums in the
;; last bits, which can only decide between centroids whose scores tie to about 1e-6.
;;
;; All addresses are byte offsets into the module's memory, laid out by the caller:
;;   bucket  i32[dim]      sketch bucket of each dimension
;;   sign    f32[dim]      ±1 per dimension
;;   sketched f32[k * p]   the centroids' sketches
;;   full    f32[k * dim]  the centroids
;;   sums    f64[k * dim]  the members' sums, added to
;;   rows    f32[n * dim]  the block
;;   assign  i32[n], score f32[n]: the answers
;;   scratch: sketch f32[p], candIndex i32[m], candScore f32[m]
;; dim and p are multiples of 4 (the caller checks); `firstNonFinite` checks the rows beforehand.
(module
  (memory (export "memory") 1)

  ;; Σ a[i] × b[i] over `len` floats (a multiple of 4), in four f32 lanes of two accumulators.
  (func $dot (param $a i32) (param $b i32) (param $len i32) (result f32)
    (local $i i32) (local $end i32) (local $s0 v128) (local $s1 v128)
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $done
      (loop $eight
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 32)) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i))))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $i))) (v128.load offset=16 (i32.add (local.get $b) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $eight)))
    (if (i32.lt_u (local.get $i) (local.get $end))
      (then
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i))))))))
    (local.set $s0 (f32x4.add (local.get $s0) (local.get $s1)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

  (func (export "assignBlock")
    (param $bucket i32) (param $sign i32) (param $sketched i32) (param $full i32) (param $sums i32)
    (param $rows i32) (param $n i32) (param $dim i32) (param $p i32) (param $k i32) (param $m i32) (param $margin f32)
    (param $assign i32) (param $score i32) (param $scratch i32) (param $unitSketch i32)
    (local $sq f32) (local $r i32) (local $row i32) (local $i i32) (local $c i32) (local $j i32) (local $s f32)
    (local $sketch i32) (local $candIndex i32) (local $candScore i32)
    (local $filled i32) (local $count i32) (local $best i32) (local $bestScore f32) (local $at i32) (local $sum i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $sketch (local.get $scratch))
    (local.set $candIndex (i32.add (local.get $sketch) (i32.shl (local.get $p) (i32.const 2))))
    (local.set $candScore (i32.add (local.get $candIndex) (i32.shl (local.get $m) (i32.const 2))))
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $row (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $rowBytes))))

        ;; 1. The sketch (only scored when there are more centroids than candidates).
        (if (i32.lt_u (local.get $m) (local.get $k))
          (then
            (memory.fill (local.get $sketch) (i32.const 0) (i32.shl (local.get $p) (i32.const 2)))
            (local.set $i (i32.const 0))
            (block $sketched
              (loop $eachDim
                (br_if $sketched (i32.ge_u (local.get $i) (local.get $dim)))
                (local.set $at (i32.add (local.get $sketch)
                  (i32.shl (i32.load (i32.add (local.get $bucket) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
                (f32.store (local.get $at) (f32.add (f32.load (local.get $at))
                  (f32.mul (f32.load (i32.add (local.get $sign) (i32.shl (local.get $i) (i32.const 2))))
                    (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $eachDim)))
            ;; Scaled to unit length when asked (the fit's refinement scores unit sketches of its sample).
            (if (local.get $unitSketch)
              (then
                (local.set $sq (call $dot (local.get $sketch) (local.get $sketch) (local.get $p)))
                (if (f32.gt (local.get $sq) (f32.const 0))
                  (then
                    (local.set $sq (f32.div (f32.const 1) (f32.sqrt (local.get $sq))))
                    (local.set $i (i32.const 0))
                    (block $scaled
                      (loop $eachBucket
                        (br_if $scaled (i32.ge_u (local.get $i) (local.get $p)))
                        (local.set $at (i32.add (local.get $sketch) (i32.shl (local.get $i) (i32.const 2))))
                        (f32.store (local.get $at) (f32.mul (f32.load (local.get $at)) (local.get $sq)))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br $eachBucket)))))))))

        ;; 2. The m best centroids by sketch score (all k, in order, when m = k).
        (local.set $count (local.get $m))
        (if (i32.lt_u (local.get $m) (local.get $k))
          (then
            (local.set $filled (i32.const 0))
            (local.set $c (i32.const 0))
            (block $scored
              (loop $eachCentroid
                (br_if $scored (i32.ge_u (local.get $c) (local.get $k)))
                (local.set $s (call $dot (local.get $sketch)
                  (i32.add (local.get $sketched) (i32.shl (i32.mul (local.get $c) (local.get $p)) (i32.const 2))) (local.get $p)))
                (block $next
                  (if (i32.lt_u (local.get $filled) (local.get $m))
                    (then (local.set $filled (i32.add (local.get $filled) (i32.const 1))))
                    (else
                      (br_if $next (f32.le (local.get $s)
                        (f32.load (i32.add (local.get $candScore) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 2))))))))
                  (local.set $j (i32.sub (local.get $filled) (i32.const 1)))
                  (block $placed
                    (loop $shift
                      (br_if $placed (i32.le_s (local.get $j) (i32.const 0)))
                      (br_if $placed (i32.eqz (f32.lt
                        (f32.load (i32.add (local.get $candScore) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
                        (local.get $s))))
                      (f32.store (i32.add (local.get $candScore) (i32.shl (local.get $j) (i32.const 2)))
                        (f32.load (i32.add (local.get $candScore) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
                      (i32.store (i32.add (local.get $candIndex) (i32.shl (local.get $j) (i32.const 2)))
                        (i32.load (i32.add (local.get $candIndex) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
                      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                      (br $shift)))
                  (f32.store (i32.add (local.get $candScore) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
                  (i32.store (i32.add (local.get $candIndex) (i32.shl (local.get $j) (i32.const 2))) (local.get $c)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $eachCentroid)))
            (local.set $count (i32.const 1))
            (block $counted
              (loop $within
                (br_if $counted (i32.ge_u (local.get $count) (local.get $m)))
                (br_if $counted (f32.lt
                  (f32.load (i32.add (local.get $candScore) (i32.shl (local.get $count) (i32.const 2))))
                  (f32.sub (f32.load (local.get $candScore)) (local.get $margin))))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (br $within))))
          (else
            (local.set $j (i32.const 0))
            (block $all
              (loop $identity
                (br_if $all (i32.ge_u (local.get $j) (local.get $m)))
                (i32.store (i32.add (local.get $candIndex) (i32.shl (local.get $j) (i32.const 2))) (local.get $j))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $identity)))))

        ;; 3. The candidates in full dimensions; the best wins, the lower centroid on a tie.
        (local.set $best (i32.load (local.get $candIndex)))
        (local.set $bestScore (call $dot (local.get $row)
          (i32.add (local.get $full) (i32.mul (local.get $best) (local.get $rowBytes))) (local.get $dim)))
        (local.set $j (i32.const 1))
        (block $chosen
          (loop $eachCandidate
            (br_if $chosen (i32.ge_u (local.get $j) (local.get $count)))
            (local.set $c (i32.load (i32.add (local.get $candIndex) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $s (call $dot (local.get $row)
              (i32.add (local.get $full) (i32.mul (local.get $c) (local.get $rowBytes))) (local.get $dim)))
            (if (i32.or (f32.gt (local.get $s) (local.get $bestScore))
                        (i32.and (f32.eq (local.get $s) (local.get $bestScore)) (i32.lt_s (local.get $c) (local.get $best))))
              (then (local.set $bestScore (local.get $s)) (local.set $best (local.get $c))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $eachCandidate)))
        (i32.store (i32.add (local.get $assign) (i32.shl (local.get $r) (i32.const 2))) (local.get $best))
        (f32.store (i32.add (local.get $score) (i32.shl (local.get $r) (i32.const 2))) (local.get $bestScore))

        ;; 4. sums[best] += row, two f64 lanes at a time (each element as the JS adds it).
        (local.set $sum (i32.add (local.get $sums) (i32.shl (i32.mul (local.get $best) (local.get $dim)) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $added
          (loop $eachPair
            (br_if $added (i32.ge_u (local.get $i) (local.get $dim)))
            (v128.store (i32.add (local.get $sum) (i32.shl (local.get $i) (i32.const 3)))
              (f64x2.add
                (v128.load (i32.add (local.get $sum) (i32.shl (local.get $i) (i32.const 3))))
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $eachPair)))

        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow))))

  ;; The first of `n` rows of `dim` floats (a multiple of 4) holding NaN or ±Infinity, or -1: v - v is
  ;; NaN for those and 0 for any finite v, and a NaN stays NaN through the sum.
  (func (export "firstNonFinite") (param $rows i32) (param $n i32) (param $dim i32) (result i32)
    (local $r i32) (local $at i32) (local $end i32) (local $check v128) (local $v v128)
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $check (v128.const f32x4 0 0 0 0))
        (local.set $end (i32.add (local.get $at) (i32.shl (local.get $dim) (i32.const 2))))
        (block $checked
          (loop $eachFour
            (br_if $checked (i32.ge_u (local.get $at) (local.get $end)))
            (local.set $v (v128.load (i32.add (local.get $rows) (local.get $at))))
            (local.set $check (f32x4.add (local.get $check) (f32x4.sub (local.get $v) (local.get $v))))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (br $eachFour)))
        (if (v128.any_true (f32x4.ne (local.get $check) (local.get $check))) (then (return (local.get $r))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow)))
    (i32.const -1))

  ;; Lloyd's assignment step (lib/vectors/kmeans.ts `lloyd`): each of `n` points (`d` floats, a multiple
  ;; of 4) goes to the centroid it has the highest dot product with (the first on a tie), its score kept.
  ;; Returns how many points changed centroid.
  (func (export "nearest") (param $points i32) (param $n i32) (param $d i32) (param $centroids i32) (param $k i32)
    (param $assign i32) (param $score i32) (result i32)
    (local $r i32) (local $row i32) (local $c i32) (local $s f32) (local $best i32) (local $bestScore f32)
    (local $rowBytes i32) (local $changed i32) (local $at i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $row (i32.add (local.get $points) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $best (i32.const 0))
        (local.set $bestScore (call $dot (local.get $row) (local.get $centroids) (local.get $d)))
        (local.set $c (i32.const 1))
        (block $scored
          (loop $eachCentroid
            (br_if $scored (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $s (call $dot (local.get $row)
              (i32.add (local.get $centroids) (i32.mul (local.get $c) (local.get $rowBytes))) (local.get $d)))
            (if (f32.gt (local.get $s) (local.get $bestScore))
              (then (local.set $bestScore (local.get $s)) (local.set $best (local.get $c))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $eachCentroid)))
        (local.set $at (i32.add (local.get $assign) (i32.shl (local.get $r) (i32.const 2))))
        (if (i32.ne (i32.load (local.get $at)) (local.get $best))
          (then (local.set $changed (i32.add (local.get $changed) (i32.const 1)))))
        (i32.store (local.get $at) (local.get $best))
        (f32.store (i32.add (local.get $score) (i32.shl (local.get $r) (i32.const 2))) (local.get $bestScore))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow)))
    (local.get $changed))
)
