# bh4_stage_grad_small-b64-nb16-r1-r_in1-token_tile1 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 0.090 ms at 64 tokens after 3 trials
# knobs: {'column_vectors': 4}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(grad: T.Buffer(("batch", 1, 1, 16, 64), "float32"), folded_weight_t: T.Buffer((1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), grad_mm: T.Buffer((batch, 1, 1, 16, 64), "float32"), grad_in: T.Buffer((batch, 1, 1, 16, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for rr_n_o_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for o_1_init in T.unroll(4):
                for o_2_init in T.vectorized(16):
                    with T.sblock("grad_mm_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_o_0_fused)
                        v_o = T.axis.spatial(64, o_1_init * 16 + o_2_init)
                        T.reads()
                        T.writes(grad_mm[v_q, v_t, v_rr, v_n, v_o])
                        grad_mm[v_q, v_t, v_rr, v_n, v_o] = T.float32(0.0)
            for m in range(16):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("grad_mm_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_o_0_fused)
                            v_o = T.axis.spatial(64, o_1 * 16 + o_2)
                            v_m = T.axis.reduce(16, m)
                            T.reads(grad_mm[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_m], grad[v_q, v_t, v_rr, v_m, v_o])
                            T.writes(grad_mm[v_q, v_t, v_rr, v_n, v_o])
                            grad_mm[v_q, v_t, v_rr, v_n, v_o] = grad_mm[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_m] * grad[v_q, v_t, v_rr, v_m, v_o]
    for rr_n_i_0_fused in T.parallel(16):
        for q, t in T.grid(batch, 1):
            for i_1_init in T.unroll(4):
                for i_2_init in T.vectorized(16):
                    with T.sblock("grad_in_init"):
                        v_q, v_t = T.axis.remap("SS", [q, t])
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, rr_n_i_0_fused)
                        v_i = T.axis.spatial(64, i_1_init * 16 + i_2_init)
                        T.reads()
                        T.writes(grad_in[v_q, v_t, v_rr, v_n, v_i])
                        grad_in[v_q, v_t, v_rr, v_n, v_i] = T.float32(0.0)
            for o in range(64):
                for i_1 in T.unroll(4):
                    for i_2 in T.vectorized(16):
                        with T.sblock("grad_in_update"):
                            v_q, v_t = T.axis.remap("SS", [q, t])
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, rr_n_i_0_fused)
                            v_i = T.axis.spatial(64, i_1 * 16 + i_2)
                            v_o = T.axis.reduce(64, o)
                            T.reads(grad_in[v_q, v_t, v_rr, v_n, v_i], folded_weight_t[v_rr, v_n, v_o, v_i], grad_mm[v_q, v_t, v_rr, v_n, v_o])
                            T.writes(grad_in[v_q, v_t, v_rr, v_n, v_i])
                            grad_in[v_q, v_t, v_rr, v_n, v_i] = grad_in[v_q, v_t, v_rr, v_n, v_i] + folded_weight_t[v_rr, v_n, v_o, v_i] * grad_mm[v_q, v_t, v_rr, v_n, v_o]