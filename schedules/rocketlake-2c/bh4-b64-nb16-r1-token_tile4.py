# bh4-b64-nb16-r1-token_tile4 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 10.577 ms at 4096 tokens after 12 trials
# knobs: {'cross_order': 0, 'mm_order': 0, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 4, 1, 16, 64), "float32"), folded_weight: T.Buffer((4, 1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), s3_cross: T.Buffer((batch, 4, 1, 16, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    s0_mm = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s0_cross = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s1_mm = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s1_cross = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s2_mm = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s2_cross = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    s3_mm = T.sblock_alloc_buffer((batch, 4, 1, 16, 64))
    for q in T.parallel(batch):
        for ax0, ax2, ax3 in T.grid(1, 1, 16):
            for ax1_init in range(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in T.vectorized(16):
                        with T.sblock("s0_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1_init, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5, ax1 in T.grid(64, 4):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s0_mm_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s0_k = T.axis.reduce(64, ax5)
                            T.reads(s0_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[0, v_rr, v_n, v_s0_k, v_o], x[v_q, v_t, 0, v_n, v_s0_k])
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = s0_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[0, v_rr, v_n, v_s0_k, v_o] * x[v_q, v_t, 0, v_n, v_s0_k]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 1, 16):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s0_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(16):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s0_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s0_m = T.axis.reduce(16, ax5)
                            T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s0_m], s0_mm[v_q, v_t, v_rr, v_s0_m, v_o])
                            T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                            s0_cross[v_q, v_t, v_rr, v_n, v_o] = s0_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s0_m] * s0_mm[v_q, v_t, v_rr, v_s0_m, v_o]
        for ax0, ax2, ax3 in T.grid(1, 1, 16):
            for ax1_init in range(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in T.vectorized(16):
                        with T.sblock("s1_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1_init, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s1_mm[v_q, v_t, v_rr, v_n, v_o])
                            s1_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5, ax1 in T.grid(64, 4):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s1_mm_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s1_k = T.axis.reduce(64, ax5)
                            T.reads(s1_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[1, v_rr, v_n, v_s1_k, v_o], s0_cross[v_q, v_t, 0, v_n, v_s1_k])
                            T.writes(s1_mm[v_q, v_t, v_rr, v_n, v_o])
                            s1_mm[v_q, v_t, v_rr, v_n, v_o] = s1_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[1, v_rr, v_n, v_s1_k, v_o] * s0_cross[v_q, v_t, 0, v_n, v_s1_k]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 1, 16):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s1_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                        s1_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(16):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s1_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s1_m = T.axis.reduce(16, ax5)
                            T.reads(s1_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s1_m], s1_mm[v_q, v_t, v_rr, v_s1_m, v_o])
                            T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                            s1_cross[v_q, v_t, v_rr, v_n, v_o] = s1_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s1_m] * s1_mm[v_q, v_t, v_rr, v_s1_m, v_o]
        for ax0, ax2, ax3 in T.grid(1, 1, 16):
            for ax1_init in range(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in T.vectorized(16):
                        with T.sblock("s2_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1_init, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s2_mm[v_q, v_t, v_rr, v_n, v_o])
                            s2_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5, ax1 in T.grid(64, 4):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s2_mm_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s2_k = T.axis.reduce(64, ax5)
                            T.reads(s2_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[2, v_rr, v_n, v_s2_k, v_o], s1_cross[v_q, v_t, 0, v_n, v_s2_k])
                            T.writes(s2_mm[v_q, v_t, v_rr, v_n, v_o])
                            s2_mm[v_q, v_t, v_rr, v_n, v_o] = s2_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[2, v_rr, v_n, v_s2_k, v_o] * s1_cross[v_q, v_t, 0, v_n, v_s2_k]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 1, 16):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s2_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                        s2_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(16):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s2_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s2_m = T.axis.reduce(16, ax5)
                            T.reads(s2_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s2_m], s2_mm[v_q, v_t, v_rr, v_s2_m, v_o])
                            T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                            s2_cross[v_q, v_t, v_rr, v_n, v_o] = s2_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s2_m] * s2_mm[v_q, v_t, v_rr, v_s2_m, v_o]
        for ax0, ax2, ax3 in T.grid(1, 1, 16):
            for ax1_init in range(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in T.vectorized(16):
                        with T.sblock("s3_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1_init, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s3_mm[v_q, v_t, v_rr, v_n, v_o])
                            s3_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5, ax1 in T.grid(64, 4):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s3_mm_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s3_k = T.axis.reduce(64, ax5)
                            T.reads(s3_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[3, v_rr, v_n, v_s3_k, v_o], s2_cross[v_q, v_t, 0, v_n, v_s3_k])
                            T.writes(s3_mm[v_q, v_t, v_rr, v_n, v_o])
                            s3_mm[v_q, v_t, v_rr, v_n, v_o] = s3_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[3, v_rr, v_n, v_s3_k, v_o] * s2_cross[v_q, v_t, 0, v_n, v_s3_k]
        for t, rr, n in T.grid(4, 1, 16):
            for o_0_init in T.unroll(4):
                for o_1_init in T.vectorized(16):
                    with T.sblock("s3_cross_init"):
                        v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                        v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                        T.reads()
                        T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                        s3_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s3_m in range(16):
                for o_0 in T.unroll(4):
                    for o_1 in T.vectorized(16):
                        with T.sblock("s3_cross_update"):
                            v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                            v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                            v_s3_m = T.axis.reduce(16, s3_m)
                            T.reads(s3_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s3_m], s3_mm[v_q, v_t, v_rr, v_s3_m, v_o])
                            T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                            s3_cross[v_q, v_t, v_rr, v_n, v_o] = s3_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s3_m] * s3_mm[v_q, v_t, v_rr, v_s3_m, v_o]