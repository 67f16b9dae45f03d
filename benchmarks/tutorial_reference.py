"""A faithful transcription of the tutorial's own NumPy code (the reference for parity and speed).

Only what is needed to run it headless changed: plotting is left out, ``np.int`` (removed from
NumPy) reads ``int``, and the global seeding calls are kept since they *are* the reference. Do not
import this from the library: it touches numpy's global random state, which initlab never does.
"""

from __future__ import annotations

import numpy as np
import sklearn.datasets


def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s


def relu(x):
    s = np.maximum(0, x)
    return s


def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    W3 = parameters["W3"]
    b3 = parameters["b3"]
    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)
    cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    return a3, cache


def backward_propagation(X, Y, cache):
    m = X.shape[1]
    (_z1, a1, _W1, _b1, _z2, a2, W2, _b2, _z3, a3, W3, _b3) = cache
    dz3 = 1.0 / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)
    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)
    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)
    return {"dz3": dz3, "dW3": dW3, "db3": db3, "da2": da2, "dz2": dz2, "dW2": dW2,
            "db2": db2, "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for k in range(L):
        parameters["W" + str(k + 1)] = parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        parameters["b" + str(k + 1)] = parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]
    return parameters


def compute_loss(a3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    loss = 1.0 / m * np.nansum(logprobs)
    return loss


def predict(X, y, parameters, verbose=True):
    m = X.shape[1]
    p = np.zeros((1, m), dtype=int)
    a3, _caches = forward_propagation(X, parameters)
    for i in range(a3.shape[1]):
        if a3[0, i] > 0.5:
            p[0, i] = 1
        else:
            p[0, i] = 0
    if verbose:
        print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


def predict_dec(parameters, X):
    a3, _cache = forward_propagation(X, parameters)
    predictions = (a3 > 0.5)
    return predictions


def load_dataset():
    np.random.seed(1)
    train_X, train_Y = sklearn.datasets.make_moons(n_samples=300, noise=.05)
    np.random.seed(2)
    test_X, test_Y = sklearn.datasets.make_moons(n_samples=100, noise=.05)
    train_X = train_X.T
    train_Y = train_Y.reshape((1, train_Y.shape[0]))
    test_X = test_X.T
    test_Y = test_Y.reshape((1, test_Y.shape[0]))
    return train_X, train_Y, test_X, test_Y


def initialize_parameters_zeros(layers_dims):
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2 / layers_dims[l - 1])
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def model(X, Y, learning_rate=0.01, num_iterations=15000, print_cost=True, initialization="he"):
    costs = []
    layers_dims = [X.shape[0], 10, 5, 1]
    if initialization == "zeros":
        parameters = initialize_parameters_zeros(layers_dims)
    elif initialization == "random":
        parameters = initialize_parameters_random(layers_dims)
    elif initialization == "he":
        parameters = initialize_parameters_he(layers_dims)
    for i in range(num_iterations):
        a3, cache = forward_propagation(X, parameters)
        cost = compute_loss(a3, Y)
        grads = backward_propagation(X, Y, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost}")
            costs.append(cost)
    return parameters, costs


# --- Plotting and part 6, for the end-to-end reference (B4). -----------------------------------
# The tutorial's own plotting code; ``plt.show()`` becomes ``_show(name)``, which saves the
# current figure as DIR/name.png (the document's figures), so the work done is the same.

_OUT = {"dir": "."}


def _show(name):
    import matplotlib.pyplot as plt

    plt.savefig(f"{_OUT['dir']}/{name}.png")
    plt.close("all")


def plot_decision_boundary(model, X, y, name="boundary"):
    import matplotlib.pyplot as plt

    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    h = 0.01
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = model(np.c_[xx.ravel(), yy.ravel()])
    Z = Z.reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.coolwarm, alpha=0.3)
    plt.ylabel('x2')
    plt.xlabel('x1')
    plt.scatter(X[0, :], X[1, :], c=np.squeeze(y), cmap=plt.cm.coolwarm, s=10, alpha=0.5)
    _show(name)


def plot_costs(costs, learning_rate, name):
    import matplotlib.pyplot as plt

    plt.plot(costs)
    plt.ylabel('cost')
    plt.xlabel('iterations (per hundreds)')
    plt.title("Learning rate =" + str(learning_rate))
    _show(name)


def ReLU(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def part6(w_scale, activation, name):
    """Part 6: five sigmoid/ReLU layers of 100 units on 1000 Gaussian inputs, histograms."""
    import matplotlib.pyplot as plt

    input_data = np.random.randn(1000, 100)
    node_num = 100
    hidden_layer_size = 5
    activations = {}
    x = input_data
    for i in range(hidden_layer_size):
        if i != 0:
            x = activations[i - 1]
        w = np.random.randn(node_num, node_num) * w_scale
        a = np.dot(x, w)
        z = activation(a)
        activations[i] = z
    for i, a in activations.items():
        plt.subplot(1, len(activations), i + 1)
        plt.title(str(i + 1) + "-layer")
        if i != 0:
            plt.yticks([], [])
        plt.hist(a.flatten(), 30, range=(0, 1))
    _show(name)


def run_document(out_dir):
    """The whole tutorial, as its cells run in order, with every figure written to out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _OUT["dir"] = out_dir
    plt.subplots(1, 1, figsize=(6, 4))
    train_X, train_Y, test_X, test_Y = load_dataset()
    plt.scatter(train_X[0, :], train_X[1, :], c=train_Y[0], s=10, cmap=plt.cm.coolwarm, alpha=0.5)
    _show("data")
    for init in ("zeros", "random", "he"):
        plt.subplots(1, 1, figsize=(6, 4))
        parameters, costs = model(train_X, train_Y, initialization=init)
        plot_costs(costs, 0.01, f"cost_{init}")
        print("On the train set:")
        predict(train_X, train_Y, parameters)
        print("On the test set:")
        predict(test_X, test_Y, parameters)
        plt.subplots(1, 1, figsize=(6, 4))
        plt.title(f"Model with {init} initialization")
        plot_decision_boundary(lambda x, p=parameters: predict_dec(p, x.T), train_X, train_Y,
                               f"boundary_{init}")
    for scale, act, name in ((1, sigmoid, "hist_sigmoid_1"), (0.01, sigmoid, "hist_sigmoid_001"),
                             (np.sqrt(1.0 / 100), sigmoid, "hist_sigmoid_xavier"),
                             (0.01, ReLU, "hist_relu_001"), (np.sqrt(1.0 / 100), ReLU, "hist_relu_xavier"),
                             (np.sqrt(2.0 / 100), ReLU, "hist_relu_he")):
        part6(scale, act, name)
