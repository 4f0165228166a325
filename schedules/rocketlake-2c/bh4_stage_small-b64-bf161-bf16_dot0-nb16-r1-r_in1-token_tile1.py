# bh4_stage_small-b64-bf161-bf16_dot0-nb16-r1-r_in1-token_tile1 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 0.093 ms at 64 tokens after 3 trials
# knobs: {'column_vectors': 4}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 1, 1, 16, 64), "float32"), folded_weight: T.Buffer((1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), s0_cross: T.Buffer((batch, 1, 1, 16, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    s0_mm = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s0_mm_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                        s0_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s0_k in range(64):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s0_mm_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s0_k = T.axis.reduce(64, s0_k)
                            T.reads(s0_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[v_rr, v_n, v_s0_k, v_o], x[v_q, v_t, 0, v_n, v_s0_k])
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = s0_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[v_rr, v_n, v_s0_k, v_o] * x[v_q, v_t, 0, v_n, v_s0_k]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s0_cross_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s0_m in range(16):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s0_cross_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s0_m = T.axis.reduce(16, s0_m)
                            T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s0_m], s0_mm[v_q, v_t, v_rr, v_s0_m, v_o])
                            T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                            s0_cross[v_q, v_t, v_rr, v_n, v_o] = s0_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s0_m] * s0_mm[v_q, v_t, v_rr, v_s0_m, v_o]