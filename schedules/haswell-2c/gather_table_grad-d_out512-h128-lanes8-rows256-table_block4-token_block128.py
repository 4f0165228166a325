# gather_table_grad-d_out512-h128-lanes8-rows256-table_block4-token_block128 for {'mcpu': 'haswell', 'kind': 'llvm', 'num-cores': 2}
# measured on Intel(R) Xeon(R) Processor: 27.615 ms at 4096 tokens after 21 trials
# knobs: {'lanes': 8, 'table_block': 4, 'token_block': 128}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func
def main(codes: T.Buffer(("batch", 128), "int32"), scores: T.Buffer((batch, 128), "float32"), grad: T.Buffer((batch, 512), "float32"), dtables: T.Buffer((128, 256, 512), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    for group in T.parallel(32):
        for k0, s in T.grid(4, 256):
            if group * 4 + k0 < 128:
                for d0 in range(64):
                    for d1 in T.vectorized(8):
                        dtables[group * 4 + k0, s, d0 * 8 + d1] = T.float32(0.0)
        for t0, k0, t1 in T.grid((batch + 127) // 128, 4, 128):
            if group * 4 + k0 < 128 and t0 * 128 + t1 < batch:
                for d0 in range(64):
                    for d1 in T.vectorized(8):
                        dtables[group * 4 + k0, codes[t0 * 128 + t1, group * 4 + k0], d0 * 8 + d1] = dtables[group * 4 + k0, codes[t0 * 128 + t1, group * 4 + k0], d0 * 8 + d1] + scores[t0 * 128 + t1, group * 4 + k0] * grad[t0 * 128 + t1, d0 * 8 + d1]