# bh4_fold-b64-mode2-nb16-r1 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 0.237 ms at 4096 tokens after 1 trials
# knobs: {}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(folded: T.Buffer((4, 1, 16, 64, 64), "float32"), hadamard: T.Buffer((64, 64), "float32"), unfolded: T.Buffer((1, 4, 16, 64, 64), "float32")):
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    folded_global = T.sblock_alloc_buffer((4, 1, 16, 64, 64))
    for rr_s_n_o_0_fused in T.parallel(64):
        for ax0, ax1 in T.grid(64, 64):
            with T.sblock("folded_global"):
                v0 = T.axis.spatial(4, rr_s_n_o_0_fused // 16)
                v1 = T.axis.spatial(1, 0)
                v2 = T.axis.spatial(16, rr_s_n_o_0_fused % 16)
                v3, v4 = T.axis.remap("SS", [ax0, ax1])
                T.reads(folded[v0, v1, v2, v3, v4])
                T.writes(folded_global[v0, v1, v2, v4, v3])
                folded_global[v0, v1, v2, v4, v3] = folded[v0, v1, v2, v3, v4]
        for o_1 in range(64):
            for i_0_init in range(4):
                for i_1_init in T.vectorized(16):
                    with T.sblock("unfolded_init"):
                        v_rr = T.axis.spatial(1, 0)
                        v_s = T.axis.spatial(4, rr_s_n_o_0_fused // 16)
                        v_n = T.axis.spatial(16, rr_s_n_o_0_fused % 16)
                        v_o = T.axis.spatial(64, o_1)
                        v_i = T.axis.spatial(64, i_0_init * 16 + i_1_init)
                        T.reads()
                        T.writes(unfolded[v_rr, v_s, v_n, v_o, v_i])
                        unfolded[v_rr, v_s, v_n, v_o, v_i] = T.float32(0.0)
            for j, i_0 in T.grid(64, 4):
                for i_1 in T.vectorized(16):
                    with T.sblock("unfolded_update"):
                        v_rr = T.axis.spatial(1, 0)
                        v_s = T.axis.spatial(4, rr_s_n_o_0_fused // 16)
                        v_n = T.axis.spatial(16, rr_s_n_o_0_fused % 16)
                        v_o = T.axis.spatial(64, o_1)
                        v_i = T.axis.spatial(64, i_0 * 16 + i_1)
                        v_j = T.axis.reduce(64, j)
                        T.reads(unfolded[v_rr, v_s, v_n, v_o, v_i], hadamard[v_j, v_o], folded_global[v_s, v_rr, v_n, v_j, v_i])
                        T.writes(unfolded[v_rr, v_s, v_n, v_o, v_i])
                        unfolded[v_rr, v_s, v_n, v_o, v_i] = unfolded[v_rr, v_s, v_n, v_o, v_i] + hadamard[v_j, v_o] * folded_global[v_s, v_rr, v_n, v_j, v_i]