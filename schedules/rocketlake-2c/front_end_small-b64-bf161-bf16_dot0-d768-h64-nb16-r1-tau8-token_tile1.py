# front_end_small-b64-bf161-bf16_dot0-d768-h64-nb16-r1-tau8-token_tile1 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 1.713 ms at 256 tokens after 3 trials
# knobs: {'column_vectors': 4}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 1, 768), "bfloat16"), norm_weight: T.Buffer((768,), "bfloat16"), norm_bias: T.Buffer((768,), "bfloat16"), folded_weight: T.Buffer((4, 1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), bias: T.Buffer((512,), "bfloat16"), hash_v0: T.Buffer((batch, 1, 64), "int32"), hash_v1: T.Buffer((batch, 1, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    ln_mean = T.sblock_alloc_buffer((batch, 1))
    ln_var = T.sblock_alloc_buffer((batch, 1))
    ln = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s0_mm = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s0_cross = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s1_mm = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s1_cross = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s2_mm = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s2_cross = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s3_mm = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    s3_cross = T.sblock_alloc_buffer((batch, 1, 1, 16, 64))
    z = T.sblock_alloc_buffer((batch, 1, 512))
    for q in T.parallel(batch):
        for ax0, ax1, ax2 in T.grid(1, 1, 768):
            with T.sblock("ln_mean"):
                v_q = T.axis.spatial(batch, q + ax0)
                v_t, v_ln_k = T.axis.remap("SR", [ax1, ax2])
                T.reads(x[v_q, v_t, v_ln_k])
                T.writes(ln_mean[v_q, v_t])
                with T.init():
                    ln_mean[v_q, v_t] = T.float32(0.0)
                ln_mean[v_q, v_t] = ln_mean[v_q, v_t] + T.Cast("float32", x[v_q, v_t, v_ln_k]) * T.float32(0.0013020833333333333)
        for ax0, ax1, ax2 in T.grid(1, 1, 768):
            with T.sblock("ln_var"):
                v_q = T.axis.spatial(batch, q + ax0)
                v_t, v_ln_k2 = T.axis.remap("SR", [ax1, ax2])
                T.reads(x[v_q, v_t, v_ln_k2], ln_mean[v_q, v_t])
                T.writes(ln_var[v_q, v_t])
                with T.init():
                    ln_var[v_q, v_t] = T.float32(0.0)
                ln_var[v_q, v_t] = ln_var[v_q, v_t] + (T.Cast("float32", x[v_q, v_t, v_ln_k2]) - ln_mean[v_q, v_t]) * (T.Cast("float32", x[v_q, v_t, v_ln_k2]) - ln_mean[v_q, v_t]) * T.float32(0.0013020833333333333)
        for t, _, n, i_0 in T.grid(1, 1, 16, 4):
            for i_1 in T.vectorized(16):
                with T.sblock("ln"):
                    v_q, v_t, v__, v_n = T.axis.remap("SSSS", [q, t, _, n])
                    v_i = T.axis.spatial(64, i_0 * 16 + i_1)
                    T.reads(x[v_q, v_t, v_n * 64 + v_i], ln_mean[v_q, v_t], ln_var[v_q, v_t], norm_weight[v_n * 64 + v_i], norm_bias[v_n * 64 + v_i])
                    T.writes(ln[v_q, v_t, v__, v_n, v_i])
                    ln[v_q, v_t, v__, v_n, v_i] = T.if_then_else(v_n * 64 + v_i < 768, (T.Cast("float32", x[v_q, v_t, v_n * 64 + v_i]) - ln_mean[v_q, v_t]) * T.rsqrt(ln_var[v_q, v_t] + T.float32(1.0000000000000001e-05)) * T.Cast("float32", norm_weight[v_n * 64 + v_i]) + T.Cast("float32", norm_bias[v_n * 64 + v_i]), T.float32(0.0))
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
                            T.reads(s0_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[0, v_rr, v_n, v_s0_k, v_o], ln[v_q, v_t, 0, v_n, v_s0_k])
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = s0_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[0, v_rr, v_n, v_s0_k, v_o] * ln[v_q, v_t, 0, v_n, v_s0_k]
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
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s1_mm_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s1_mm[v_q, v_t, v_rr, v_n, v_o])
                        s1_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s1_k in range(64):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s1_mm_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s1_k = T.axis.reduce(64, s1_k)
                            T.reads(s1_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[1, v_rr, v_n, v_s1_k, v_o], s0_cross[v_q, v_t, 0, v_n, v_s1_k])
                            T.writes(s1_mm[v_q, v_t, v_rr, v_n, v_o])
                            s1_mm[v_q, v_t, v_rr, v_n, v_o] = s1_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[1, v_rr, v_n, v_s1_k, v_o] * s0_cross[v_q, v_t, 0, v_n, v_s1_k]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s1_cross_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                        s1_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s1_m in range(16):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s1_cross_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s1_m = T.axis.reduce(16, s1_m)
                            T.reads(s1_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s1_m], s1_mm[v_q, v_t, v_rr, v_s1_m, v_o])
                            T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                            s1_cross[v_q, v_t, v_rr, v_n, v_o] = s1_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s1_m] * s1_mm[v_q, v_t, v_rr, v_s1_m, v_o]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s2_mm_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s2_mm[v_q, v_t, v_rr, v_n, v_o])
                        s2_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s2_k in range(64):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s2_mm_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s2_k = T.axis.reduce(64, s2_k)
                            T.reads(s2_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[2, v_rr, v_n, v_s2_k, v_o], s1_cross[v_q, v_t, 0, v_n, v_s2_k])
                            T.writes(s2_mm[v_q, v_t, v_rr, v_n, v_o])
                            s2_mm[v_q, v_t, v_rr, v_n, v_o] = s2_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[2, v_rr, v_n, v_s2_k, v_o] * s1_cross[v_q, v_t, 0, v_n, v_s2_k]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s2_cross_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                        s2_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s2_m in range(16):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s2_cross_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s2_m = T.axis.reduce(16, s2_m)
                            T.reads(s2_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s2_m], s2_mm[v_q, v_t, v_rr, v_s2_m, v_o])
                            T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                            s2_cross[v_q, v_t, v_rr, v_n, v_o] = s2_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s2_m] * s2_mm[v_q, v_t, v_rr, v_s2_m, v_o]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s3_mm_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s3_mm[v_q, v_t, v_rr, v_n, v_o])
                        s3_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s3_k in range(64):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s3_mm_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s3_k = T.axis.reduce(64, s3_k)
                            T.reads(s3_mm[v_q, v_t, v_rr, v_n, v_o], folded_weight[3, v_rr, v_n, v_s3_k, v_o], s2_cross[v_q, v_t, 0, v_n, v_s3_k])
                            T.writes(s3_mm[v_q, v_t, v_rr, v_n, v_o])
                            s3_mm[v_q, v_t, v_rr, v_n, v_o] = s3_mm[v_q, v_t, v_rr, v_n, v_o] + folded_weight[3, v_rr, v_n, v_s3_k, v_o] * s2_cross[v_q, v_t, 0, v_n, v_s3_k]
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("s3_cross_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                        s3_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s3_m in range(16):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("s3_cross_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_s3_m = T.axis.reduce(16, s3_m)
                            T.reads(s3_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s3_m], s3_mm[v_q, v_t, v_rr, v_s3_m, v_o])
                            T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                            s3_cross[v_q, v_t, v_rr, v_n, v_o] = s3_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s3_m] * s3_mm[v_q, v_t, v_rr, v_s3_m, v_o]
    for table in T.parallel(64):
        for ax0, ax1 in T.grid(batch, 1):
            for ax2 in T.vectorized(8):
                with T.sblock("z"):
                    v_q, v_t = T.axis.remap("SS", [ax0, ax1])
                    v_f = T.axis.spatial(512, table * 8 + ax2)
                    T.reads(s3_cross[v_q, v_t, v_f // 1024, v_f % 1024 // 64, v_f % 64], ln[v_q, v_t, 0, v_f % 1024 // 64, v_f % 64], bias[v_f])
                    T.writes(z[v_q, v_t, v_f])
                    z[v_q, v_t, v_f] = T.float32(0.69999999999999996) * s3_cross[v_q, v_t, v_f // 1024, v_f % 1024 // 64, v_f % 64] + T.float32(0.29999999999999999) * ln[v_q, v_t, 0, v_f % 1024 // 64, v_f % 64] + T.Cast("float32", bias[v_f])
        for q, t in T.grid(batch, 1):
            with T.sblock("hash_v0"):
                v_q, v_t, v_table = T.axis.remap("SSS", [q, t, table])
                T.reads(z[v_q, v_t, v_table * 8:v_table * 8 + 8])
                T.writes(hash_v0[v_q, v_t, v_table])
                hash_v0[v_q, v_t, v_table] = T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8], 128, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 1], 64, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 2], 32, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 3], 16, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 4], 8, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 5], 4, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 6], 2, 0) + T.Select(T.float32(0.0) < z[v_q, v_t, v_table * 8 + 7], 1, 0)
            with T.sblock("hash_v1"):
                v_q, v_t, v_table = T.axis.remap("SSS", [q, t, table])
                T.reads(z[v_q, v_t, v_table * 8:v_table * 8 + 8])
                T.writes(hash_v1[v_q, v_t, v_table])
                hash_v1[v_q, v_t, v_table] = (T.fabs(z[v_q, v_t, v_table * 8]) + T.fabs(z[v_q, v_t, v_table * 8 + 1]) + T.fabs(z[v_q, v_t, v_table * 8 + 2]) + T.fabs(z[v_q, v_t, v_table * 8 + 3]) + T.fabs(z[v_q, v_t, v_table * 8 + 4]) + T.fabs(z[v_q, v_t, v_table * 8 + 5]) + T.fabs(z[v_q, v_t, v_table * 8 + 6]) + T.fabs(z[v_q, v_t, v_table * 8 + 7])) / ((T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 1]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 2]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 3]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 4]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 5]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 6]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)) * (T.float32(1.0) + ((((((T.float32(0.000198756915) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0013981999507)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.0083334519072999994)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.041665795893999998)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.16666665458999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(0.50000001200999999)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) * (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + (T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(0.693359375) - T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5)) * T.float32(-0.00021219444)) + T.float32(1.0)) * T.reinterpret("float32", T.Cast("int32", T.floor(T.max(T.float32(-2.0) * T.fabs(z[v_q, v_t, v_table * 8 + 7]), T.float32(-87.299999999999997)) * T.float32(1.4426950408889634) + T.float32(0.5))) + 127 << 23)))