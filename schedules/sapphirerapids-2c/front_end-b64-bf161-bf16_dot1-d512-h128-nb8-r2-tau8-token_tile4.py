# front_end-b64-bf161-bf16_dot1-d512-h128-nb8-r2-tau8-token_tile4 for {'mcpu': 'sapphirerapids', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 28.994 ms at 4096 tokens after 12 trials
# knobs: {'cross_order': 1, 'mm_order': 0, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 4, 512), "bfloat16"), norm_weight: T.Buffer((512,), "bfloat16"), norm_bias: T.Buffer((512,), "bfloat16"), folded_weight: T.Buffer((4, 2, 8, 64, 64), "float32"), cross: T.Buffer((8, 8), "float32"), bias: T.Buffer((1024,), "bfloat16"), hash_v0: T.Buffer((batch, 4, 128), "int32"), hash_v1: T.Buffer((batch, 4, 128), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    weight_pairs = T.sblock_alloc_buffer((4, 2, 8, 32, 64, 2), "uint16")
    ln_mean = T.sblock_alloc_buffer((batch, 4))
    ln_var = T.sblock_alloc_buffer((batch, 4))
    ln = T.sblock_alloc_buffer((batch, 4, 1, 8, 64))
    s0_pairs = T.sblock_alloc_buffer((batch, 4, 1, 8, 32, 2), "uint16")
    s0_mm = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s0_cross = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s1_pairs = T.sblock_alloc_buffer((batch, 4, 2, 8, 32, 2), "uint16")
    s1_mm = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s1_cross = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s2_pairs = T.sblock_alloc_buffer((batch, 4, 2, 8, 32, 2), "uint16")
    s2_mm = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s2_cross = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s3_pairs = T.sblock_alloc_buffer((batch, 4, 2, 8, 32, 2), "uint16")
    s3_mm = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    s3_cross = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    z = T.sblock_alloc_buffer((batch, 4, 1024))
    for i0_i1_i2_fused in T.parallel(64):
        for i3, i4, i5 in T.grid(32, 64, 2):
            with T.sblock("weight_pairs"):
                v_i0 = T.axis.spatial(4, i0_i1_i2_fused // 16)
                v_i1 = T.axis.spatial(2, i0_i1_i2_fused % 16 // 8)
                v_i2 = T.axis.spatial(8, i0_i1_i2_fused % 8)
                v_i3, v_i4, v_i5 = T.axis.remap("SSS", [i3, i4, i5])
                T.reads(folded_weight[v_i0, v_i1, v_i2, v_i3 * 2 + v_i5, v_i4])
                T.writes(weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4, v_i5])
                weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4, v_i5] = T.Cast("uint16", T.reinterpret("uint32", folded_weight[v_i0, v_i1, v_i2, v_i3 * 2 + v_i5, v_i4]) + T.uint32(32767) + (T.reinterpret("uint32", folded_weight[v_i0, v_i1, v_i2, v_i3 * 2 + v_i5, v_i4]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
    for q in T.parallel(batch):
        for ax0, ax1, ax2 in T.grid(1, 4, 512):
            with T.sblock("ln_mean"):
                v_q = T.axis.spatial(batch, q + ax0)
                v_t, v_ln_k = T.axis.remap("SR", [ax1, ax2])
                T.reads(x[v_q, v_t, v_ln_k])
                T.writes(ln_mean[v_q, v_t])
                with T.init():
                    ln_mean[v_q, v_t] = T.float32(0.0)
                ln_mean[v_q, v_t] = ln_mean[v_q, v_t] + T.Cast("float32", x[v_q, v_t, v_ln_k]) * T.float32(0.001953125)
        for ax0, ax1, ax2 in T.grid(1, 4, 512):
            with T.sblock("ln_var"):
                v_q = T.axis.spatial(batch, q + ax0)
                v_t, v_ln_k2 = T.axis.remap("SR", [ax1, ax2])
                T.reads(x[v_q, v_t, v_ln_k2], ln_mean[v_q, v_t])
                T.writes(ln_var[v_q, v_t])
                with T.init():
                    ln_var[v_q, v_t] = T.float32(0.0)
                ln_var[v_q, v_t] = ln_var[v_q, v_t] + (T.Cast("float32", x[v_q, v_t, v_ln_k2]) - ln_mean[v_q, v_t]) * (T.Cast("float32", x[v_q, v_t, v_ln_k2]) - ln_mean[v_q, v_t]) * T.float32(0.001953125)
        for ax0, ax1, ax2, ax3, ax4_0 in T.grid(1, 4, 1, 8, 4):
            for ax4_1 in T.vectorized(16):
                with T.sblock("ln"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v__, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_i = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                    T.reads(x[v_q, v_t, T.min(v_n * 64 + v_i, 511)], ln_mean[v_q, v_t], ln_var[v_q, v_t], norm_weight[T.min(v_n * 64 + v_i, 511)], norm_bias[T.min(v_n * 64 + v_i, 511)])
                    T.writes(ln[v_q, v_t, v__, v_n, v_i])
                    ln[v_q, v_t, v__, v_n, v_i] = (T.Cast("float32", x[v_q, v_t, T.min(v_n * 64 + v_i, 511)]) - ln_mean[v_q, v_t]) * T.rsqrt(ln_var[v_q, v_t] + T.float32(1.0000000000000001e-05)) * T.Cast("float32", norm_weight[T.min(v_n * 64 + v_i, 511)]) + T.Cast("float32", norm_bias[T.min(v_n * 64 + v_i, 511)])
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 1, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("s0_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(ln[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(s0_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    s0_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", ln[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", ln[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
        for ax0, ax2, ax3, ax1_0 in T.grid(1, 2, 8, 1):
            for ax1_1_init in T.unroll(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in range(16):
                        with T.sblock("s0_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1_init)
                            v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s0_mm[v_q, v_t, v_rr, v_n, v_o])
                            s0_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(32):
                for ax1_1 in T.unroll(4):
                    for ax4_0 in T.unroll(4):
                        with T.sblock("s0_mm_update_o"):
                            v_q_o = T.axis.spatial(batch, q + ax0)
                            v_t_o = T.axis.spatial(4, ax1_0 * 4 + ax1_1)
                            v_rr_o, v_n_o, v_o_o, v_s0_kk_o = T.axis.remap("SSSR", [ax2, ax3, ax4_0, ax5])
                            v_s0_kp_o = T.axis.reduce(1, 0)
                            T.reads(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], weight_pairs[0, v_rr_o, v_n_o, v_s0_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], s0_pairs[v_q_o, v_t_o, 0, v_n_o, v_s0_kk_o, 0:2])
                            T.writes(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[0, v_rr_o, v_n_o, v_s0_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(s0_pairs[v_q_o, v_t_o, 0, v_n_o, v_s0_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][0]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))
        for ax0, ax2, ax3, ax1 in T.grid(1, 2, 8, 4):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s0_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(8):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s0_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s0_m = T.axis.reduce(8, ax5)
                            T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s0_m], s0_mm[v_q, v_t, v_rr, v_s0_m, v_o])
                            T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                            s0_cross[v_q, v_t, v_rr, v_n, v_o] = s0_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s0_m] * s0_mm[v_q, v_t, v_rr, v_s0_m, v_o]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 2, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("s1_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(s1_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    s1_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", s0_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", s0_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
        for ax0, ax2, ax3, ax1_0 in T.grid(1, 2, 8, 1):
            for ax1_1_init in T.unroll(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in range(16):
                        with T.sblock("s1_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1_init)
                            v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s1_mm[v_q, v_t, v_rr, v_n, v_o])
                            s1_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(32):
                for ax1_1 in T.unroll(4):
                    for ax4_0 in T.unroll(4):
                        with T.sblock("s1_mm_update_o"):
                            v_q_o = T.axis.spatial(batch, q + ax0)
                            v_t_o = T.axis.spatial(4, ax1_0 * 4 + ax1_1)
                            v_rr_o, v_n_o, v_o_o, v_s1_kk_o = T.axis.remap("SSSR", [ax2, ax3, ax4_0, ax5])
                            v_s1_kp_o = T.axis.reduce(1, 0)
                            T.reads(s1_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], weight_pairs[1, v_rr_o, v_n_o, v_s1_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], s1_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s1_kk_o, 0:2])
                            T.writes(s1_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[1, v_rr_o, v_n_o, v_s1_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(s1_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s1_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(s1_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][1]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))
        for ax0, ax2, ax3, ax1 in T.grid(1, 2, 8, 4):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s1_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                        s1_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(8):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s1_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s1_m = T.axis.reduce(8, ax5)
                            T.reads(s1_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s1_m], s1_mm[v_q, v_t, v_rr, v_s1_m, v_o])
                            T.writes(s1_cross[v_q, v_t, v_rr, v_n, v_o])
                            s1_cross[v_q, v_t, v_rr, v_n, v_o] = s1_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s1_m] * s1_mm[v_q, v_t, v_rr, v_s1_m, v_o]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 2, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("s2_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(s1_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(s2_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    s2_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", s1_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", s1_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
        for ax0, ax2, ax3, ax1_0 in T.grid(1, 2, 8, 1):
            for ax1_1_init in T.unroll(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in range(16):
                        with T.sblock("s2_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1_init)
                            v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s2_mm[v_q, v_t, v_rr, v_n, v_o])
                            s2_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(32):
                for ax1_1 in T.unroll(4):
                    for ax4_0 in T.unroll(4):
                        with T.sblock("s2_mm_update_o"):
                            v_q_o = T.axis.spatial(batch, q + ax0)
                            v_t_o = T.axis.spatial(4, ax1_0 * 4 + ax1_1)
                            v_rr_o, v_n_o, v_o_o, v_s2_kk_o = T.axis.remap("SSSR", [ax2, ax3, ax4_0, ax5])
                            v_s2_kp_o = T.axis.reduce(1, 0)
                            T.reads(s2_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], weight_pairs[2, v_rr_o, v_n_o, v_s2_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], s2_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s2_kk_o, 0:2])
                            T.writes(s2_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[2, v_rr_o, v_n_o, v_s2_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(s2_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s2_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(s2_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][2]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))
        for ax0, ax2, ax3, ax1 in T.grid(1, 2, 8, 4):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s2_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                        s2_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(8):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s2_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s2_m = T.axis.reduce(8, ax5)
                            T.reads(s2_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s2_m], s2_mm[v_q, v_t, v_rr, v_s2_m, v_o])
                            T.writes(s2_cross[v_q, v_t, v_rr, v_n, v_o])
                            s2_cross[v_q, v_t, v_rr, v_n, v_o] = s2_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s2_m] * s2_mm[v_q, v_t, v_rr, v_s2_m, v_o]
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 2, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("s3_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(s2_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(s3_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    s3_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", s2_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", s2_cross[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
        for ax0, ax2, ax3, ax1_0 in T.grid(1, 2, 8, 1):
            for ax1_1_init in T.unroll(4):
                for ax4_0_init in T.unroll(4):
                    for ax4_1_init in range(16):
                        with T.sblock("s3_mm_init"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t = T.axis.spatial(4, ax1_0 * 4 + ax1_1_init)
                            v_rr, v_n = T.axis.remap("SS", [ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                            T.reads()
                            T.writes(s3_mm[v_q, v_t, v_rr, v_n, v_o])
                            s3_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(32):
                for ax1_1 in T.unroll(4):
                    for ax4_0 in T.unroll(4):
                        with T.sblock("s3_mm_update_o"):
                            v_q_o = T.axis.spatial(batch, q + ax0)
                            v_t_o = T.axis.spatial(4, ax1_0 * 4 + ax1_1)
                            v_rr_o, v_n_o, v_o_o, v_s3_kk_o = T.axis.remap("SSSR", [ax2, ax3, ax4_0, ax5])
                            v_s3_kp_o = T.axis.reduce(1, 0)
                            T.reads(s3_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], weight_pairs[3, v_rr_o, v_n_o, v_s3_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], s3_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s3_kk_o, 0:2])
                            T.writes(s3_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[3, v_rr_o, v_n_o, v_s3_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(s3_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_s3_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(s3_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][3]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))
        for ax0, ax2, ax3, ax1 in T.grid(1, 2, 8, 4):
            for ax4_0_init in T.unroll(4):
                for ax4_1_init in T.vectorized(16):
                    with T.sblock("s3_cross_init"):
                        v_q = T.axis.spatial(batch, q + ax0)
                        v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                        v_o = T.axis.spatial(64, ax4_0_init * 16 + ax4_1_init)
                        T.reads()
                        T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                        s3_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for ax5 in range(8):
                for ax4_0 in T.unroll(4):
                    for ax4_1 in T.vectorized(16):
                        with T.sblock("s3_cross_update"):
                            v_q = T.axis.spatial(batch, q + ax0)
                            v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                            v_o = T.axis.spatial(64, ax4_0 * 16 + ax4_1)
                            v_s3_m = T.axis.reduce(8, ax5)
                            T.reads(s3_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s3_m], s3_mm[v_q, v_t, v_rr, v_s3_m, v_o])
                            T.writes(s3_cross[v_q, v_t, v_rr, v_n, v_o])
                            s3_cross[v_q, v_t, v_rr, v_n, v_o] = s3_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s3_m] * s3_mm[v_q, v_t, v_rr, v_s3_m, v_o]
        for ax0, ax1, ax2_0 in T.grid(1, 4, 64):
            for ax2_1 in T.vectorized(16):
                with T.sblock("z"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t = T.axis.spatial(4, ax1)
                    v_f = T.axis.spatial(1024, ax2_0 * 16 + ax2_1)
                    T.reads(s3_cross[v_q, v_t, v_f // 512, v_f % 512 // 64, v_f % 64], ln[v_q, v_t, 0, v_f % 512 // 64, v_f % 64], bias[v_f])
                    T.writes(z[v_q, v_t, v_f])
                    z[v_q, v_t, v_f] = T.float32(0.69999999999999996) * s3_cross[v_q, v_t, v_f // 512, v_f % 512 // 64, v_f % 64] + T.float32(0.29999999999999999) * ln[v_q, v_t, 0, v_f % 512 // 64, v_f % 64] + T.Cast("float32", bias[v_f])
        for t, table in T.grid(4, 128):
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

# Metadata omitted. Use show_meta=True in script() method to show it.