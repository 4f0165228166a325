# gather_grad-bf161-d_out768-h64-lanes16-rows256-table_block2-token_block16 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 24.426 ms at 4096 tokens after 26 trials
# knobs: {'lanes': 16, 'table_block': 2, 'token_block': 16}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func
def main(codes: T.Buffer(("batch", 64), "int32"), scores: T.Buffer((batch, 64), "float32"), grad: T.Buffer((batch, 768), "float32"), tables: T.Buffer((64, 256, 768), "bfloat16"), dscores: T.Buffer((batch, 64), "float32"), dtables: T.Buffer((64, 256, 768), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    for group in T.parallel(32):
        acc = T.alloc_local((16,))
        for k0, s in T.grid(2, 256):
            if group * 2 + k0 < 64:
                for d0 in range(48):
                    for d1 in T.vectorized(16):
                        dtables[group * 2 + k0, s, d0 * 16 + d1] = T.float32(0.0)
        for t0, k0, t1 in T.grid((batch + 15) // 16, 2, 16):
            if group * 2 + k0 < 64 and t0 * 16 + t1 < batch:
                for d1 in T.vectorized(16):
                    acc[d1] = T.float32(0.0)
                for d0 in range(48):
                    for d1 in T.vectorized(16):
                        acc[d1] = acc[d1] + grad[t0 * 16 + t1, d0 * 16 + d1] * T.Cast("float32", tables[group * 2 + k0, codes[t0 * 16 + t1, group * 2 + k0], d0 * 16 + d1])
                        dtables[group * 2 + k0, codes[t0 * 16 + t1, group * 2 + k0], d0 * 16 + d1] = dtables[group * 2 + k0, codes[t0 * 16 + t1, group * 2 + k0], d0 * 16 + d1] + scores[t0 * 16 + t1, group * 2 + k0] * grad[t0 * 16 + t1, d0 * 16 + d1]
                dscores[t0 * 16 + t1, group * 2 + k0] = T.float32(0.0)
                for d1 in range(16):
                    dscores[t0 * 16 + t1, group * 2 + k0] = dscores[t0 * 16 + t1, group * 2 + k0] + acc[d1]