# bh4_stage_grad-b64-nb16-r1-r_in1-token_tile4 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 2.600 ms at 4096 tokens after 4 trials
# knobs: {'mm_order': 2, 'unroll': 1}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(grad: T.Buffer(("batch", 4, 1, 16, 64), "float32"), folded_weight_t: T.Buffer((1, 16, 64, 64), "float32"), cross: T.Buffer((16, 16), "float32"), grad_mm: T.Buffer((batch, 4, 1, 16, 64), "float32"), grad_in: T.Buffer((batch, 4, 1, 16, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for q in T.parallel(batch):
        for rr, n, o_0, t_0 in T.grid(1, 16, 1, 1):
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
            for m in range(16):
                for t_1 in T.unroll(4):
                    for o_1 in T.unroll(4):
                        for o_2 in T.vectorized(16):
                            with T.sblock("grad_mm_update"):
                                v_q = T.axis.spatial(batch, q)
                                v_t = T.axis.spatial(4, t_0 * 4 + t_1)
                                v_rr, v_n = T.axis.remap("SS", [rr, n])
                                v_o = T.axis.spatial(64, o_0 * 64 + o_1 * 16 + o_2)
                                v_m = T.axis.reduce(16, m)
                                T.reads(grad_mm[v_q, v_t, v_rr, v_n, v_o], cross[v_n, v_m], grad[v_q, v_t, v_rr, v_m, v_o])
                                T.writes(grad_mm[v_q, v_t, v_rr, v_n, v_o])
                                grad_mm[v_q, v_t, v_rr, v_n, v_o] = grad_mm[v_q, v_t, v_rr, v_n, v_o] + cross[v_n, v_m] * grad[v_q, v_t, v_rr, v_m, v_o]
    for q in T.parallel(batch):
        for rr, n, i_0, t_0 in T.grid(1, 16, 1, 1):
            for t_1_init in T.unroll(4):
                for i_1_init in T.unroll(4):
                    for i_2_init in T.vectorized(16):
                        with T.sblock("grad_in_init"):
                            v_q = T.axis.spatial(batch, q)
                            v_t = T.axis.spatial(4, t_0 * 4 + t_1_init)
                            v_rr, v_n = T.axis.remap("SS", [rr, n])
                            v_i = T.axis.spatial(64, i_0 * 64 + i_1_init * 16 + i_2_init)
                            T.reads()
                            T.writes(grad_in[v_q, v_t, v_rr, v_n, v_i])
                            grad_in[v_q, v_t, v_rr, v_n, v_i] = T.float32(0.0)
            for o in range(64):
                for t_1 in T.unroll(4):
                    for i_1 in T.unroll(4):
                        for i_2 in T.vectorized(16):
                            with T.sblock("grad_in_update"):
                                v_q = T.axis.spatial(batch, q)
                                v_t = T.axis.spatial(4, t_0 * 4 + t_1)
                                v_rr, v_n = T.axis.remap("SS", [rr, n])
                                v_i = T.axis.spatial(64, i_0 * 64 + i_1 * 16 + i_2)
                                v_o = T.axis.reduce(64, o)
                                T.reads(grad_in[v_q, v_t, v_rr, v_n, v_i], folded_weight_t[v_rr, v_n, v_o, v_i], grad_mm[v_q, v_t, v_rr, v_n, v_o])
                                T.writes(grad_in[v_q, v_t, v_rr, v_n, v_i])
                                grad_in[v_q, v_t, v_rr, v_n, v_i] = grad_in[v_q, v_t, v_rr, v_n, v_i] + folded_weight_t[v_rr, v_n, v_o, v_i] * grad_mm[v_q, v_t, v_rr, v_n, v_o]