# gather-d_out768-h64-rows256 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 11.429 ms at 4096 tokens after 32 trials
# knobs: {'cols': 128, 'l3_tokens': 4096, 'order': 0, 'register_tables': 0, 'register_vectors': 4, 'tables': 8, 'tokens': 16, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(codes: T.Buffer(("batch", 64), "int32"), scores: T.Buffer((batch, 64), "float32"), tables: T.Buffer((64, 256, 768), "float32"), gather: T.Buffer((batch, 768), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for d_0_t_0_fused in T.parallel(6):
        for t_1_0 in range((batch + 4095) // 4096):
            for t_1_1_0_init, t_1_1_1_init in T.grid(256, 16):
                for d_1_0_init in T.unroll(8):
                    for d_1_1_init in T.vectorized(16):
                        with T.sblock("gather_init"):
                            v_t = T.axis.spatial(batch, t_1_0 * 4096 + t_1_1_0_init * 16 + t_1_1_1_init)
                            v_d = T.axis.spatial(768, d_0_t_0_fused * 128 + d_1_0_init * 16 + d_1_1_init)
                            T.where(t_1_0 * 4096 + (t_1_1_0_init * 16 + t_1_1_1_init) < batch)
                            T.reads()
                            T.writes(gather[v_t, v_d])
                            gather[v_t, v_d] = T.float32(0.0)
            for k_0, t_1_1_0, t_1_1_1, k_1 in T.grid(8, 256, 16, 8):
                for d_1_0 in T.unroll(8):
                    for d_1_1 in T.vectorized(16):
                        with T.sblock("gather_update"):
                            v_t = T.axis.spatial(batch, t_1_0 * 4096 + t_1_1_0 * 16 + t_1_1_1)
                            v_d = T.axis.spatial(768, d_0_t_0_fused * 128 + d_1_0 * 16 + d_1_1)
                            v_k = T.axis.reduce(64, k_0 * 8 + k_1)
                            T.where(t_1_0 * 4096 + (t_1_1_0 * 16 + t_1_1_1) < batch)
                            T.reads(gather[v_t, v_d], scores[v_t, v_k], tables[v_k, codes[v_t, v_k], v_d], codes[v_t, v_k])
                            T.writes(gather[v_t, v_d])
                            gather[v_t, v_d] = gather[v_t, v_d] + scores[v_t, v_k] * tables[v_k, codes[v_t, v_k], v_d]