# The reference solver of the PASCAL-Context, SIFT Flow and NYUDv2 nets
# (pascalcontext-fcn*/solver.prototxt + solve.py): fcn_paper_100k.py run for
# 300k iterations, scored every 8k (solve.py steps 8000 between tests).
_base_ = ['./fcn_paper_100k.py']
train_cfg = dict(max_iters=300000, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
