;; Adam's update of one variable in one pass over the TF.js wasm heap, four
;; floats at a time. Every element goes through the float32 operations of the
;; unfused update (src/optim/adam.ts, then the optimizer's add) in the same
;; order, each rounded as TF.js's kernels round it, so the numbers are the
;; same bit for bit; wasm has no fused multiply-add to change a rounding.
;;
;;   m' = m·β1 + g·(1-β1)
;;   v' = v·β2 + (g·g)·(1-β2)
;;   p' = p + (m' / (√v' / c2 + ε)) · s      (c2 = √(1-β2^t), s = -lr/(1-β1^t))
;;
;; Pointers are byte offsets into the imported memory (the heap's own).
(module
  (import "env" "memory" (memory 0))
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2m f32)
    (param $c2 f32) (param $eps f32) (param $s f32)
    (local $i i32) (local $vecEnd i32) (local $off i32)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $vecEnd (i32.and (local.get $n) (i32.const -4)))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $off))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $off))) (f32x4.splat (local.get $b1)))
            (f32x4.mul (local.get $gv) (f32x4.splat (local.get $c1)))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $off))) (f32x4.splat (local.get $b2)))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $c2m)))))
        (v128.store (i32.add (local.get $mOut) (local.get $off)) (local.get $mv))
        (v128.store (i32.add (local.get $vOut) (local.get $off)) (local.get $vv))
        (v128.store (i32.add (local.get $pOut) (local.get $off))
          (f32x4.add
            (v128.load (i32.add (local.get $p) (local.get $off)))
            (f32x4.mul
              (f32x4.div (local.get $mv)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (f32x4.splat (local.get $c2))) (f32x4.splat (local.get $eps))))
              (f32x4.splat (local.get $s)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $off))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $off))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $c1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $off))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2m))))
        (f32.store (i32.add (local.get $mOut) (local.get $off)) (local.get $ms))
        (f32.store (i32.add (local.get $vOut) (local.get $off)) (local.get $vs))
        (f32.store (i32.add (local.get $pOut) (local.get $off))
          (f32.add
            (f32.load (i32.add (local.get $p) (local.get $off)))
            (f32.mul
              (f32.div (local.get $ms)
                (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $c2)) (local.get $eps)))
              (local.get $s))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))
)
