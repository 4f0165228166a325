# bh4_stage_grad-b64-bf161-bf16_dot1-nb8-r2-r_in2-token_tile4 for {'mcpu': 'sapphirerapids', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 7.702 ms at 4096 tokens after 4 trials
# knobs: {'mm_order': 2, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(grad: T.Buffer(("batch", 4, 2, 8, 64), "float32"), folded_weight_t: T.Buffer((2, 8, 64, 64), "float32"), cross: T.Buffer((8, 8), "float32"), grad_mm: T.Buffer((batch, 4, 2, 8, 64), "float32"), grad_in: T.Buffer((batch, 4, 2, 8, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    weight_pairs = T.sblock_alloc_buffer((2, 8, 32, 64, 2), "uint16")
    grad_pairs = T.sblock_alloc_buffer((batch, 4, 2, 8, 32, 2), "uint16")
    for q in T.parallel(batch):
        for rr, n, o_0, t_0 in T.grid(2, 8, 1, 1):
            for t_1_init in T.unroll(4):
                for o_1_init in T.unroll(4):
                    for o_2_init in T.vectorized(16):
                        with T.sblock("grad_mm_init"):
                            v_q = T.axis.spatial(batch, q)
                            v_t = T.axis.spatial(4, t_0 * 4 + t_1_init)
                            v_rr, v_n = T.axis.remap("SS", [rr, n])
                            v_o = T.axis.spatial(64, o_0 * 64 + o_1_init * 16 + o_2_init)
                            T.reads()
                            T.writes(grad_mm[v_q, v_t, v_rr, v_n, v_o])
                            grad_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for m in range(8):
                for t_1 in T.unroll(4):
                    for o_1 in T.unroll(4):
                        for o_2 in T.vectorized(16):
                            with T.sblock("grad_mm_update"):
                                v_q = T.axis.spatial(batch, q)
                                v_t = T.axis.spatial(4, t_0 * 4 + t_1)
                                v_rr, v_n = T.axis.remap("SS", [rr, n])
                                v_o = T.axis.spatial(64, o_0 * 64 + o_1 * 16 + o_2)
                                v_m = T.axis.reduce(8, m)
                                T.reads(grad_mm[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_m], grad[v_q, v_t, v_rr, v_m, v_o])
                                T.writes(grad_mm[v_q, v_t, v_rr, v_n, v_o])
                                grad_mm[v_q, v_t, v_rr, v_n, v_o] = grad_mm[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_m] * grad[v_q, v_t, v_rr, v_m, v_o]
    for i0_i1_fused in T.parallel(16):
        for i2, i3, i4 in T.grid(32, 64, 2):
            with T.sblock("weight_pairs"):
                v_i0 = T.axis.spatial(2, i0_i1_fused // 8)
                v_i1 = T.axis.spatial(8, i0_i1_fused % 8)
                v_i2, v_i3, v_i4 = T.axis.remap("SSS", [i2, i3, i4])
                T.reads(folded_weight_t[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3])
                T.writes(weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4])
                weight_pairs[v_i0, v_i1, v_i2, v_i3, v_i4] = T.Cast("uint16", T.reinterpret("uint32", folded_weight_t[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3]) + T.uint32(32767) + (T.reinterpret("uint32", folded_weight_t[v_i0, v_i1, v_i2 * 2 + v_i4, v_i3]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
    for q in T.parallel(batch):
        for ax0, ax1, ax2, ax3 in T.grid(1, 4, 2, 8):
            for ax4_ax5_fused in T.vectorized(64):
                with T.sblock("grad_pairs"):
                    v_q = T.axis.spatial(batch, q + ax0)
                    v_t, v_rr, v_n = T.axis.remap("SSS", [ax1, ax2, ax3])
                    v_kk = T.axis.spatial(32, ax4_ax5_fused // 2)
                    v_p = T.axis.spatial(2, ax4_ax5_fused % 2)
                    T.reads(grad_mm[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p])
                    T.writes(grad_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p])
                    grad_pairs[v_q, v_t, v_rr, v_n, v_kk, v_p] = T.Cast("uint16", T.reinterpret("uint32", grad_mm[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) + T.uint32(32767) + (T.reinterpret("uint32", grad_mm[v_q, v_t, v_rr, v_n, v_kk * 2 + v_p]) >> T.uint32(16) & T.uint32(1)) >> T.uint32(16))
        for rr, n, t_0 in T.grid(2, 8, 1):
            for t_1_init in T.unroll(4):
                for i_0_init in T.unroll(4):
                    for i_1_init in range(16):
                        with T.sblock("grad_in_init"):
                            v_q = T.axis.spatial(batch, q)
                            v_t = T.axis.spatial(4, t_0 * 4 + t_1_init)
                            v_rr, v_n = T.axis.remap("SS", [rr, n])
                            v_i = T.axis.spatial(64, i_0_init * 16 + i_1_init)
                            T.reads()
                            T.writes(grad_in[v_q, v_t, v_rr, v_n, v_i])
                            grad_in[v_q, v_t, v_rr, v_n, v_i] = T.float32(0.0)
            for kk in range(32):
                for t_1 in T.unroll(4):
                    for i_0 in T.unroll(4):
                        with T.sblock("grad_in_update_o"):
                            v_q_o = T.axis.spatial(batch, q)
                            v_t_o = T.axis.spatial(4, t_0 * 4 + t_1)
                            v_rr_o, v_n_o, v_i_o, v_kk_o = T.axis.remap("SSSR", [rr, n, i_0, kk])
                            v_kp_o = T.axis.reduce(1, 0)
                            T.reads(grad_in[v_q_o, v_t_o, v_rr_o, v_n_o, v_i_o * 16:v_i_o * 16 + 16], weight_pairs[v_rr_o, v_n_o, v_kk_o, v_i_o * 16:v_i_o * 16 + 16, 0:2], grad_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_kk_o, 0:2])
                            T.writes(grad_in[v_q_o, v_t_o, v_rr_o, v_n_o, v_i_o * 16:v_i_o * 16 + 16])
                            weight = T.match_buffer(weight_pairs[v_rr_o, v_n_o, v_kk_o, v_i_o * 16:v_i_o * 16 + 16, 0:2], (16, 2), "uint16", offset_factor=1)
                            pair = T.match_buffer(grad_pairs[v_q_o, v_t_o, v_rr_o, v_n_o, v_kk_o, 0:2], (2,), "uint16", offset_factor=1)
                            acc = T.match_buffer(grad_in[v_q_o, v_t_o, v_rr_o, v_n_o, v_i_o * 16:v_i_o * 16 + 16], (16,), offset_factor=1)
                            T.attr({"pragma_import_llvm": metadata["ir.StringImm"][0]})
                            acc[0:16] = T.call_pure_extern("float32x16", "lookup_tvm_dpbf16ps", acc[T.Ramp(0, 1, 16)], T.Broadcast(T.reinterpret("int32", pair[T.Ramp(0, 1, 2)]), 16), T.reinterpret("int32x16", weight[0, T.Ramp(0, 1, 32)]))

# Metadata omitted. Use show_meta=True in script() method to show it.