# gather_grad-d_out512-h128-lanes8-rows256-table_block1-token_block64 for {'mcpu': 'haswell', 'kind': 'llvm', 'num-cores': 2}
# measured on Intel(R) Xeon(R) Processor: 50.269 ms at 4096 tokens after 21 trials
# knobs: {'lanes': 8, 'table_block': 1, 'token_block': 64}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func
def main(codes: T.Buffer(("batch", 128), "int32"), scores: T.Buffer((batch, 128), "float32"), grad: T.Buffer((batch, 512), "float32"), tables: T.Buffer((128, 256, 512), "float32"), dscores: T.Buffer((batch, 128), "float32"), dtables: T.Buffer((128, 256, 512), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    for group in T.parallel(128):
        acc = T.alloc_local((8,))
        for k0, s in T.grid(1, 256):
            if group + k0 < 128:
                for d0 in range(64):
                    for d1 in T.vectorized(8):
                        dtables[group + k0, s, d0 * 8 + d1] = T.float32(0.0)
        for t0, k0, t1 in T.grid((batch + 63) // 64, 1, 64):
            if group + k0 < 128 and t0 * 64 + t1 < batch:
                for d1 in T.vectorized(8):
                    acc[d1] = T.float32(0.0)
                for d0 in range(64):
                    for d1 in T.vectorized(8):
                        acc[d1] = acc[d1] + grad[t0 * 64 + t1, d0 * 8 + d1] * T.Cast("float32", tables[group + k0, codes[t0 * 64 + t1, group + k0], d0 * 8 + d1])
                        dtables[group + k0, codes[t0 * 64 + t1, group + k0], d0 * 8 + d1] = dtables[group + k0, codes[t0 * 64 + t1, group + k0], d0 * 8 + d1] + scores[t0 * 64 + t1, group + k0] * grad[t0 * 64 + t1, d0 * 8 + d1]
                dscores[t0 * 64 + t1, group + k0] = T.float32(0.0)
                for d1 in range(8):
                    dscores[t0 * 64 + t1, group + k0] = dscores[t0 * 64 + t1, group + k0] + acc[d1]