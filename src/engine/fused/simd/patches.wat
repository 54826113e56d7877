;; The patch matrices (im2col) of src/engine/conv/patches.ts, the same
;; values written in the same places, as loops of WebAssembly on the TF.js
;; wasm heap: a patch is a few runs of memory (a filter row's taps over NHWC
;; channels), and here each run is one memory.copy with no call out of
;; WebAssembly, where JavaScript pays a copyWithin call per run (3·10⁵ runs
;; for a batch of 128 28×28 images, 3×3 filters: 15 ms there, 6 ms here).
;;
;; Pointers are byte offsets into the imported memory (the heap's own);
;; sizes and positions are counts of floats. The geometry is
;; src/engine/conv/geometry.ts's: NHWC, filters [kh, kw, in, out], TF.js's
;; padding (padT, padL before), no dilation.
(module
  (import "env" "memory" (memory 0))

  (func $zero (param $to i32) (param $floats i32)
    (memory.fill (local.get $to) (i32.const 0) (i32.shl (local.get $floats) (i32.const 2))))

  (func $copy (param $from i32) (param $to i32) (param $floats i32)
    (memory.copy (local.get $to) (local.get $from) (i32.shl (local.get $floats) (i32.const 2))))

  ;; max(a, b) and min(a, b) of signed values
  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))
  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  ;; Rows firstRow … firstRow+rows-1 of x's patch matrix at $cols: row (n, oh, ow)
  ;; holds the kh·kw·c values its filter covers, zeros in the padding.
  (func (export "gatherInput")
    (param $x i32) (param $cols i32) (param $firstRow i32) (param $rows i32)
    (param $inH i32) (param $inW i32) (param $c i32) (param $outH i32) (param $outW i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padT i32) (param $padL i32)
    (local $r i32) (local $n i32) (local $oh i32) (local $ow i32) (local $rest i32)
    (local $tapRow i32) (local $at i32) (local $iw0 i32) (local $jLo i32) (local $jHi i32)
    (local $i i32) (local $ih i32)
    (local.set $n (i32.div_u (local.get $firstRow) (i32.mul (local.get $outH) (local.get $outW))))
    (local.set $rest (i32.sub (local.get $firstRow) (i32.mul (local.get $n) (i32.mul (local.get $outH) (local.get $outW)))))
    (local.set $oh (i32.div_u (local.get $rest) (local.get $outW)))
    (local.set $ow (i32.sub (local.get $rest) (i32.mul (local.get $oh) (local.get $outW))))
    (local.set $tapRow (i32.mul (local.get $kw) (local.get $c)))
    (local.set $at (local.get $cols))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $iw0 (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $padL)))
        ;; the filter columns inside the image, one range: each filter row is one run of memory
        (local.set $jLo (call $max (i32.const 0) (i32.sub (i32.const 0) (local.get $iw0))))
        (local.set $jHi (call $min (local.get $kw) (i32.sub (local.get $inW) (local.get $iw0))))
        (local.set $i (i32.const 0))
        (block $tapsDone
          (loop $tap
            (br_if $tapsDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (local.get $i)) (local.get $padT)))
            (if (i32.or (i32.or (i32.lt_s (local.get $ih) (i32.const 0)) (i32.ge_s (local.get $ih) (local.get $inH)))
                        (i32.le_s (local.get $jHi) (local.get $jLo)))
              (then (call $zero (local.get $at) (local.get $tapRow)))
              (else
                (call $zero (local.get $at) (i32.mul (local.get $jLo) (local.get $c)))
                (call $copy
                  (i32.add (local.get $x) (i32.shl
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $inH)) (local.get $ih)) (local.get $inW))
                                      (i32.add (local.get $iw0) (local.get $jLo)))
                             (local.get $c))
                    (i32.const 2)))
                  (i32.add (local.get $at) (i32.shl (i32.mul (local.get $jLo) (local.get $c)) (i32.const 2)))
                  (i32.mul (i32.sub (local.get $jHi) (local.get $jLo)) (local.get $c)))
                (call $zero
                  (i32.add (local.get $at) (i32.shl (i32.mul (local.get $jHi) (local.get $c)) (i32.const 2)))
                  (i32.mul (i32.sub (local.get $kw) (local.get $jHi)) (local.get $c)))))
            (local.set $at (i32.add (local.get $at) (i32.shl (local.get $tapRow) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tap)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (if (i32.eq (local.get $ow) (local.get $outW))
          (then
            (local.set $ow (i32.const 0))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (if (i32.eq (local.get $oh) (local.get $outH))
              (then
                (local.set $oh (i32.const 0))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; The same rows written transposed: row r's value at position k goes to float
  ;; k·rows + r of $cols.
  (func (export "gatherInputTransposed")
    (param $x i32) (param $cols i32) (param $firstRow i32) (param $rows i32)
    (param $inH i32) (param $inW i32) (param $c i32) (param $outH i32) (param $outW i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padT i32) (param $padL i32)
    (local $r i32) (local $n i32) (local $oh i32) (local $ow i32) (local $rest i32)
    (local $tapRow i32) (local $step i32) (local $to i32) (local $iw0 i32) (local $lo i32) (local $hi i32)
    (local $i i32) (local $ih i32) (local $q i32) (local $from i32) (local $inside i32)
    (local.set $n (i32.div_u (local.get $firstRow) (i32.mul (local.get $outH) (local.get $outW))))
    (local.set $rest (i32.sub (local.get $firstRow) (i32.mul (local.get $n) (i32.mul (local.get $outH) (local.get $outW)))))
    (local.set $oh (i32.div_u (local.get $rest) (local.get $outW)))
    (local.set $ow (i32.sub (local.get $rest) (i32.mul (local.get $oh) (local.get $outW))))
    (local.set $tapRow (i32.mul (local.get $kw) (local.get $c)))
    (local.set $step (i32.shl (local.get $rows) (i32.const 2)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $iw0 (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $padL)))
        (local.set $lo (i32.mul (call $max (i32.const 0) (i32.sub (i32.const 0) (local.get $iw0))) (local.get $c)))
        (local.set $hi (i32.mul (call $min (local.get $kw) (i32.sub (local.get $inW) (local.get $iw0))) (local.get $c)))
        (local.set $to (i32.add (local.get $cols) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $tapsDone
          (loop $tap
            (br_if $tapsDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (local.get $i)) (local.get $padT)))
            (local.set $inside (i32.and (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.lt_s (local.get $ih) (local.get $inH)))
                                        (i32.gt_s (local.get $hi) (local.get $lo))))
            (local.set $from (i32.add (local.get $x) (i32.shl
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $inH)) (local.get $ih)) (local.get $inW)) (local.get $iw0))
                       (local.get $c))
              (i32.const 2))))
            (local.set $q (i32.const 0))
            (block $qDone
              (loop $qs
                (br_if $qDone (i32.ge_u (local.get $q) (local.get $tapRow)))
                (f32.store (local.get $to)
                  (if (result f32) (i32.and (local.get $inside) (i32.and (i32.ge_s (local.get $q) (local.get $lo)) (i32.lt_s (local.get $q) (local.get $hi))))
                    (then (f32.load (i32.add (local.get $from) (i32.shl (local.get $q) (i32.const 2)))))
                    (else (f32.const 0))))
                (local.set $to (i32.add (local.get $to) (local.get $step)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $qs)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tap)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
        (if (i32.eq (local.get $ow) (local.get $outW))
          (then
            (local.set $ow (i32.const 0))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (if (i32.eq (local.get $oh) (local.get $outH))
              (then
                (local.set $oh (i32.const 0))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Rows firstRow … firstRow+rows-1 of dy's patch matrix at $cols, for the input
  ;; gradient: row (n, ih, iw) holds, for each flipped tap (i', j'), the dy row of
  ;; the output position whose patch puts that tap on (ih, iw), or zeros.
  (func (export "gatherGradient")
    (param $dy i32) (param $cols i32) (param $firstRow i32) (param $rows i32)
    (param $inH i32) (param $inW i32) (param $co i32) (param $outH i32) (param $outW i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padT i32) (param $padL i32)
    (local $r i32) (local $n i32) (local $ih i32) (local $iw i32) (local $rest i32)
    (local $tapRow i32) (local $at i32) (local $t0 i32) (local $u0 i32) (local $i i32) (local $j i32)
    (local $t i32) (local $u i32) (local $oh i32) (local $rowStart i32) (local $jLo i32) (local $jHi i32)
    (local.set $n (i32.div_u (local.get $firstRow) (i32.mul (local.get $inH) (local.get $inW))))
    (local.set $rest (i32.sub (local.get $firstRow) (i32.mul (local.get $n) (i32.mul (local.get $inH) (local.get $inW)))))
    (local.set $ih (i32.div_u (local.get $rest) (local.get $inW)))
    (local.set $iw (i32.sub (local.get $rest) (i32.mul (local.get $ih) (local.get $inW))))
    (local.set $tapRow (i32.mul (local.get $kw) (local.get $co)))
    (local.set $at (local.get $cols))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $t0 (i32.add (i32.sub (i32.add (local.get $ih) (local.get $padT)) (local.get $kh)) (i32.const 1)))
        (local.set $u0 (i32.add (i32.sub (i32.add (local.get $iw) (local.get $padL)) (local.get $kw)) (i32.const 1)))
        (local.set $i (i32.const 0))
        (block $tapsDone
          (loop $tap
            (br_if $tapsDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $t (i32.add (local.get $t0) (local.get $i)))
            (if (i32.or (i32.lt_s (local.get $t) (i32.const 0)) (i32.rem_s (local.get $t) (local.get $sh)))
              (then (call $zero (local.get $at) (local.get $tapRow)))
              (else
                (local.set $oh (i32.div_s (local.get $t) (local.get $sh)))
                (if (i32.ge_s (local.get $oh) (local.get $outH))
                  (then (call $zero (local.get $at) (local.get $tapRow)))
                  (else
                    (local.set $rowStart (i32.add (local.get $dy)
                      (i32.shl (i32.mul (i32.mul (i32.add (i32.mul (local.get $n) (local.get $outH)) (local.get $oh)) (local.get $outW)) (local.get $co))
                               (i32.const 2))))
                    (if (i32.eq (local.get $sw) (i32.const 1))
                      (then
                        ;; stride 1: the taps inside the output form one run of dy's row
                        (local.set $jLo (call $max (i32.const 0) (i32.sub (i32.const 0) (local.get $u0))))
                        (local.set $jHi (call $min (local.get $kw) (i32.sub (local.get $outW) (local.get $u0))))
                        (if (i32.le_s (local.get $jHi) (local.get $jLo))
                          (then (call $zero (local.get $at) (local.get $tapRow)))
                          (else
                            (call $zero (local.get $at) (i32.mul (local.get $jLo) (local.get $co)))
                            (call $copy
                              (i32.add (local.get $rowStart) (i32.shl (i32.mul (i32.add (local.get $u0) (local.get $jLo)) (local.get $co)) (i32.const 2)))
                              (i32.add (local.get $at) (i32.shl (i32.mul (local.get $jLo) (local.get $co)) (i32.const 2)))
                              (i32.mul (i32.sub (local.get $jHi) (local.get $jLo)) (local.get $co)))
                            (call $zero
                              (i32.add (local.get $at) (i32.shl (i32.mul (local.get $jHi) (local.get $co)) (i32.const 2)))
                              (i32.mul (i32.sub (local.get $kw) (local.get $jHi)) (local.get $co))))))
                      (else
                        (local.set $j (i32.const 0))
                        (block $jDone
                          (loop $js
                            (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
                            (local.set $u (i32.add (local.get $u0) (local.get $j)))
                            (if (i32.or (i32.or (i32.lt_s (local.get $u) (i32.const 0)) (i32.rem_s (local.get $u) (local.get $sw)))
                                        (i32.ge_s (i32.div_s (local.get $u) (local.get $sw)) (local.get $outW)))
                              (then (call $zero (i32.add (local.get $at) (i32.shl (i32.mul (local.get $j) (local.get $co)) (i32.const 2))) (local.get $co)))
                              (else
                                (call $copy
                                  (i32.add (local.get $rowStart) (i32.shl (i32.mul (i32.div_s (local.get $u) (local.get $sw)) (local.get $co)) (i32.const 2)))
                                  (i32.add (local.get $at) (i32.shl (i32.mul (local.get $j) (local.get $co)) (i32.const 2)))
                                  (local.get $co))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $js)))))))))
            (local.set $at (i32.add (local.get $at) (i32.shl (local.get $tapRow) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tap)))
        (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
        (if (i32.eq (local.get $iw) (local.get $inW))
          (then
            (local.set $iw (i32.const 0))
            (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
            (if (i32.eq (local.get $ih) (local.get $inH))
              (then
                (local.set $ih (i32.const 0))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
