# gather-d_out768-h64-rows256-table_bits8 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 7.765 ms at 4096 tokens after 32 trials
# knobs: {'cols': 256, 'l3_tokens': 8192, 'order': 1, 'register_tables': 1, 'register_vectors': 2, 'tables': 8, 'tokens': 16, 'unroll': 0}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(codes: T.Buffer(("batch", 64), "int32"), scores: T.Buffer((batch, 64), "float32"), tables: T.Buffer((64, 256, 768), "uint8"), scales: T.Buffer((64, 256), "float32"), offsets: T.Buffer((64, 256), "float32"), gather: T.Buffer((batch, 768), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    gather_shift = T.sblock_alloc_buffer((batch,))
    for d_0_t_0_fused in T.parallel(6):
        for t_1_0 in range((batch + 16383) // 16384):
            for ax0, ax1 in T.grid(8192, 64):
                with T.sblock("gather_shift"):
                    v_t = T.axis.spatial(batch, t_1_0 * 8192 + d_0_t_0_fused % 2 * ((batch + 1) // 2) + ax0)
                    v_j = T.axis.reduce(64, ax1)
                    T.where(t_1_0 * 8192 + d_0_t_0_fused % 2 * ((batch + 1) // 2) + ax0 < batch)
                    T.reads(scores[v_t, v_j], offsets[v_j, codes[v_t, v_j]], codes[v_t, v_j])
                    T.writes(gather_shift[v_t])
                    with T.init():
                        gather_shift[v_t] = T.float32(0.0)
                    gather_shift[v_t] = gather_shift[v_t] + scores[v_t, v_j] * offsets[v_j, codes[v_t, v_j]]
            for t_1_1_0 in range(512):
                for t_1_1_1_init, d_1_0_init in T.grid(16, 8):
                    for d_1_1_init in T.unroll(2):
                        for d_1_2_init in T.vectorized(16):
                            with T.sblock("gather_init"):
                                v_t = T.axis.spatial(batch, d_0_t_0_fused % 2 * ((batch + 1) // 2) + (t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1_init)))
                                v_d = T.axis.spatial(768, d_0_t_0_fused // 2 * 256 + ((d_1_0_init * 2 + d_1_1_init) * 16 + d_1_2_init))
                                T.where(d_0_t_0_fused % 2 * ((batch + 1) // 2) + (t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1_init)) < batch and t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1_init) < (batch + 1) // 2)
                                T.reads()
                                T.writes(gather[v_t, v_d])
                                gather[v_t, v_d] = gather_shift[v_t]
                for k_0, t_1_1_1, d_1_0, k_1 in T.grid(8, 16, 8, 8):
                    for d_1_1 in T.unroll(2):
                        for d_1_2 in T.vectorized(16):
                            with T.sblock("gather_update"):
                                v_t = T.axis.spatial(batch, d_0_t_0_fused % 2 * ((batch + 1) // 2) + (t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1)))
                                v_d = T.axis.spatial(768, d_0_t_0_fused // 2 * 256 + ((d_1_0 * 2 + d_1_1) * 16 + d_1_2))
                                v_k = T.axis.reduce(64, k_0 * 8 + k_1)
                                T.where(d_0_t_0_fused % 2 * ((batch + 1) // 2) + (t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1)) < batch and t_1_0 * 8192 + (t_1_1_0 * 16 + t_1_1_1) < (batch + 1) // 2)
                                T.reads(gather[v_t, v_d], scores[v_t, v_k], scales[v_k, codes[v_t, v_k]], codes[v_t, v_k], tables[v_k, codes[v_t, v_k], v_d], gather_shift[v_t])
                                T.writes(gather[v_t, v_d])
                                gather[v_t, v_d] = gather[v_t, v_d] + scores[v_t, v_k] * scales[v_k, codes[v_t, v_k]] * T.Cast("float32", tables[v_k, codes[v_t, v_k], v_d])