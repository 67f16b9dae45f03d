"""The tutorial document's own numbers, in one place for every test that checks parity.

Every value is copied from ../shared/tutorial-initialization.txt (what the document printed), not
produced by initlab.
"""

from __future__ import annotations

#: The network of the document: [n_x, 10, 5, 1], ReLU hidden layers, sigmoid output.
LAYERS = [2, 10, 5, 1]
ACTIVATION, HEAD = "relu", "sigmoid"
#: Seed of ``np.random.seed`` in the document's initializers.
SEED = 3

#: Printed by ``model(..., initialization="he")`` at iterations 0, 1000, ..., 14000.
HE_COSTS = [
    0.7342482321384683, 0.2956649797057583, 0.25184038318406815, 0.22284974489831486,
    0.197785000749911, 0.17049197570926786, 0.13351846788644978, 0.09373065428140327,
    0.06003854894423607, 0.0367254088164847, 0.023649094476709844, 0.016344535872923487,
    0.011999996046588598, 0.009296262994410533, 0.00755073011114619,
]
HE_FIRST, HE_LAST = HE_COSTS[0], HE_COSTS[-1]

#: Initialization flag -> (train accuracy, test accuracy) printed by the document.
DOC_ACCURACY = {"zeros": (0.5, 0.5), "random": (0.8866666666666667, 0.87), "he": (1.0, 1.0)}
