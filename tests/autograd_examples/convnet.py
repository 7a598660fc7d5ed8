"""autograd examples/convnet.py: a LeNet-style convnet's loss in one weight vector
that a WeightsParser slices per layer (layers are objects with methods). autograd's
scipy.signal.convolve(..., axes, dot_axes) has no SciPy counterpart, so `convolve`
is written in NumPy: a valid 2-d convolution as a sum over the kernel's offsets of
shifted slices contracted with the flipped kernel."""

import numpy as np

from . import Setup


def convolve(inputs, kernel):
    """inputs [data, color_in, y, x] (*) kernel [color_in, color_out, ky, kx], 'valid'."""
    ky, kx = kernel.shape[2], kernel.shape[3]
    out_y, out_x = inputs.shape[2] - ky + 1, inputs.shape[3] - kx + 1
    flipped = kernel[:, :, ::-1, ::-1]
    out = 0.0
    for i in range(ky):
        for j in range(kx):
            window = inputs[:, :, i : i + out_y, j : j + out_x]
            out = out + np.einsum("ncyx,cf->nfyx", window, flipped[:, :, i, j])
    return out


class WeightsParser:
    """A helper class to index into a parameter vector."""

    def __init__(self):
        self.idxs_and_shapes = {}
        self.N = 0

    def add_weights(self, name, shape):
        start = self.N
        self.N += np.prod(shape)
        self.idxs_and_shapes[name] = (slice(start, self.N), shape)

    def get(self, vect, name):
        idxs, shape = self.idxs_and_shapes[name]
        return np.reshape(vect[idxs], shape)


def logsumexp(X, axis, keepdims=False):
    max_X = np.max(X)
    return max_X + np.log(np.sum(np.exp(X - max_X), axis=axis, keepdims=keepdims))


def make_nn_funs(input_shape, layer_specs, L2_reg):
    parser = WeightsParser()
    cur_shape = input_shape
    for layer in layer_specs:
        N_weights, cur_shape = layer.build_weights_dict(cur_shape)
        parser.add_weights(layer, (N_weights,))

    def predictions(W_vect, inputs):
        """Outputs normalized log-probabilities.
        shape of inputs : [data, color, y, x]"""
        cur_units = inputs
        for layer in layer_specs:
            cur_weights = parser.get(W_vect, layer)
            cur_units = layer.forward_pass(cur_units, cur_weights)
        return cur_units

    def loss(W_vect, X, T):
        log_prior = -L2_reg * np.dot(W_vect, W_vect)
        log_lik = np.sum(predictions(W_vect, X) * T)
        return -log_prior - log_lik

    return parser.N, predictions, loss


class conv_layer:
    def __init__(self, kernel_shape, num_filters):
        self.kernel_shape = kernel_shape
        self.num_filters = num_filters

    def forward_pass(self, inputs, param_vector):
        # Input dimensions:  [data, color_in, y, x]
        # Params dimensions: [color_in, color_out, y, x]
        # Output dimensions: [data, color_out, y, x]
        params = self.parser.get(param_vector, "params")
        biases = self.parser.get(param_vector, "biases")
        conv = convolve(inputs, params)
        return conv + biases

    def build_weights_dict(self, input_shape):
        # Input shape : [color, y, x] (don't need to know number of data yet)
        self.parser = WeightsParser()
        self.parser.add_weights("params", (input_shape[0], self.num_filters) + self.kernel_shape)
        self.parser.add_weights("biases", (1, self.num_filters, 1, 1))
        output_shape = (self.num_filters,) + self.conv_output_shape(input_shape[1:], self.kernel_shape)
        return self.parser.N, output_shape

    def conv_output_shape(self, A, B):
        return (A[0] - B[0] + 1, A[1] - B[1] + 1)


class maxpool_layer:
    def __init__(self, pool_shape):
        self.pool_shape = pool_shape

    def build_weights_dict(self, input_shape):
        # input_shape dimensions: [color, y, x]
        output_shape = list(input_shape)
        for i in [0, 1]:
            assert input_shape[i + 1] % self.pool_shape[i] == 0, "maxpool shape should tile input exactly"
            output_shape[i + 1] = input_shape[i + 1] / self.pool_shape[i]
        return 0, output_shape

    def forward_pass(self, inputs, param_vector):
        new_shape = inputs.shape[:2]
        for i in [0, 1]:
            pool_width = self.pool_shape[i]
            img_width = inputs.shape[i + 2]
            new_shape += (img_width // pool_width, pool_width)
        result = inputs.reshape(new_shape)
        return np.max(np.max(result, axis=3), axis=4)


class full_layer:
    def __init__(self, size):
        self.size = size

    def build_weights_dict(self, input_shape):
        # Input shape is anything (all flattened)
        input_size = np.prod(input_shape, dtype=int)
        self.parser = WeightsParser()
        self.parser.add_weights("params", (input_size, self.size))
        self.parser.add_weights("biases", (self.size,))
        return self.parser.N, (self.size,)

    def forward_pass(self, inputs, param_vector):
        params = self.parser.get(param_vector, "params")
        biases = self.parser.get(param_vector, "biases")
        if inputs.ndim > 2:
            inputs = inputs.reshape((inputs.shape[0], np.prod(inputs.shape[1:])))
        return self.nonlinearity(np.dot(inputs[:, :], params) + biases)


class tanh_layer(full_layer):
    def nonlinearity(self, x):
        return np.tanh(x)


class softmax_layer(full_layer):
    def nonlinearity(self, x):
        return x - logsumexp(x, axis=1, keepdims=True)


def layers():
    return [conv_layer((3, 3), 2), maxpool_layer((2, 2)), conv_layer((2, 2), 3),
            maxpool_layer((2, 2)), tanh_layer(6), softmax_layer(3)]


def setup(batch_size=4):
    L2_reg = 1.0
    input_shape = (1, 8, 8)
    rs = np.random.RandomState(0)
    images = rs.rand(batch_size, 1, 8, 8)
    labels = np.eye(3)[rs.randint(3, size=batch_size)]
    N_weights, pred_fun, loss_fun = make_nn_funs(input_shape, layers(), L2_reg)
    W = np.random.RandomState(1).randn(N_weights) * 0.1
    return Setup(loss_fun, (W, images, labels), wrt="W_vect",
                 data={"input_shape": input_shape, "L2_reg": L2_reg},
                 specs={"X": "f64[N,1,8,8]", "T": "f64[N,3]"})
