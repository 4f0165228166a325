# bh4_stage-b64-bf161-bf16_dot1-nb8-r2-r_in1-token_tile4 for {'mcpu': 'sapphirerapids', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 5.889 ms at 4096 tokens after 12 trials
# knobs: {'cross_order': 0, 'mm_order': 1, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(x: T.Buffer(("batch", 4, 1, 8, 64), "float32"), folded_weight: T.Buffer((2, 8, 64, 64), "float32"), cross: T.Buffer((8, 8), "float32"), s0_cross: T.Buffer((batch, 4, 2, 8, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    weight_pairs = T.sblock_alloc_buffer((2, 8, 32, 64, 2), "uint16")
    s0_pairs = T.sblock_alloc_buffer((batch, 4, 1, 8, 32, 2), "uint16")
    s0_mm = T.sblock_alloc_buffer((batch, 4, 2, 8, 64))
    for i0_i1_fused in T.parallel(16):
        for i2, i3, i4 in T.grid(32, 64, 2):
            with T.sblock("weight_pairs"):
                v_i0 = T.axis.spatial(2, i0_i1_fused // 8)
                v_i1 = T.axis.spatial(8, i0_i1_fused % 8)
                v_i2, v_i3, v_i4 = T.axis.remap("SSS", [i2, i3, i4])
                T.reads(folded_weight[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3])
                T.writes(weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4])
                weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4] = T.Cast("uint16", T.reinterpret("uint32", folded_weight[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3]) + T.uint32(32767) + (T.reinterpret("uint32", folded_weight[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
    for q in T.parallel(batch):
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 1, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("s0_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(x[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(s0_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    s0_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", x[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", x[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
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
                            T.reads(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], weight_pairs[v_rr_o, v_n_o, v_s0_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], s0_pairs[v_q_o, v_t_o, 0, v_n_o, v_s0_kk_o, 0:2])
                            T.writes(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[v_rr_o, v_n_o, v_s0_kk_o, v_o_o * 16:v_o_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(s0_pairs[v_q_o, v_t_o, 0, v_n_o, v_s0_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(s0_mm[v_q_o, v_t_o, v_rr_o, v_n_o, v_o_o * 16:v_o_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][0]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))
        for t, rr, n in T.grid(4, 2, 8):
            for o_0_init in T.unroll(4):
                for o_1_init in T.vectorized(16):
                    with T.sblock("s0_cross_init"):
                        v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                        v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                        T.reads()
                        T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                        s0_cross[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for s0_m in range(8):
                for o_0 in T.unroll(4):
                    for o_1 in T.vectorized(16):
                        with T.sblock("s0_cross_update"):
                            v_q, v_t, v_rr, v_n = T.axis.remap("SSSS", [q, t, rr, n])
                            v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                            v_s0_m = T.axis.reduce(8, s0_m)
                            T.reads(s0_cross[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_s0_m], s0_mm[v_q, v_t, v_rr, v_s0_m, v_o])
                            T.writes(s0_cross[v_q, v_t, v_rr, v_n, v_o])
                            s0_cross[v_q, v_t, v_rr, v_n, v_o] = s0_cross[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_s0_m] * s0_mm[v_q, v_t, v_rr, v_s0_m, v_o]

# Metadata omitted. Use show_meta=True in script() method to show it.