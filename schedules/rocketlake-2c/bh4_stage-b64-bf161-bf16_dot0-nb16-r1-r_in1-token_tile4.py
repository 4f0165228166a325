# bh4_stage-b64-bf161-bf16_dot0-nb16-r1-r_in1-token_tile4 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 2.138 ms at 4096 tokens after 12 trials
# knobs: {'cross_order': 1, 'mm_order': 2, 'unroll': 0}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 4, 1, 16, 64), "float32"), folded_weight: T.Buffer((1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), s0_cross: T.Buffer((batch, 4, 1, 16, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    s0_mm = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    for q in T.parallel(batch):
        for ax0, ax2, ax3, ax4_0, ax1_0 in T.grid(1, 1, 16, 1, 1):
            for ax1_1_init in T.unroll(4):
                for ax4_1_init in T.unroll(4):
                    for ax4_2_init in T.vectorized(16):
                        with T.sblock("s0_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1_init)
                            v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 64 + ax4_1_init * 16 + ax4_2_init)
                            T.reads()
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(64):
                for ax1_1 in T.unroll(4):
                    for ax4_1 in T.unroll(4):
                        for ax4_2 in T.vectorized(16):
                            with T.sblock("s0_mm_update"):
                                v_q = T.axis.spatial(batch, q + ax0)
                                v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1)
                                v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                                v_o = T.axis.spatial(64, ax4_0 * 64 + ax4_1 * 16 + ax4_2)
                                v_s0_k = T.axis.reduce(64, ax5)
                                T.reads(s0_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[v_rr, v_n, v_s0_k, v_o], x[v_q, v_t, 0, v_n, v_s0_k])
                                T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                                s0_mm[v_q, v_t, v_rr, v_n, v_o] = s0_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[v_rr, v_n, v_s0_k, v_o] * x[v_q, v_t, 0, v_n, v_s0_k]
        for rr, n, t in T.grid(1, 16, 4):
            for o_0_init in range(4):
                for o_1_init in T.vectorized(16):
                    with T.sblock("s0_cross_init"):
                        v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                        v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                        T.reads()
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s0_m, o_0 in T.grid(16, 4):
                for o_1 in T.vectorized(16):
                    with T.sblock("s0_cross_update"):
                        v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                        v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                        v_s0_m = T.axis.reduce(16, s0_m)
                        T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s0_m], s0_mm[v_q, v_t, v_rr, v_s0_m, v_o])
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = s0_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s0_m] * s0_mm[v_q, v_t, v_rr, v_s0_m, v_o]