"""Binary addition (lecture slides 19-23): the lecture's net learns the carry automaton.

The net is exactly the lecture's: 2 input units, 3 fully interconnected logistic hidden units and 1
logistic output unit, trained on random 8-bit sums with the logistic (cross-entropy) loss, plain SGD
with Nesterov momentum. Columns are shown right to left, one per step. The input units show a digit
0 as -1 and a 1 as +1: centred inputs (lecture 6's advice) make the same net learn faster and more
often; it is the 0/1 net with different biases, so nothing the net can compute changes.

About the delay: in the lecture every connection takes one time step, so the sum bit of a column is
due two steps after the column is shown (input -> hidden, hidden -> output). In rnnkern's cells the
hidden state h_t already includes the input of step t, and the readout reads h_t at the same step, so
the same two hops (column -> hidden state -> output) happen within one step: target delay 0 here is
the lecture's delay of 2. Either way, the hidden state after a column must hold what the automaton's
state holds: the carry, and the bit to print.

With only 3 logistic units the training is finicky, as the lecture warns: some initialisations end in
a local minimum that treats the two inputs asymmetrically and gets one column type wrong. The recipe
therefore restarts from a fresh initialisation when a try has not learned within its step budget, and
the report says how many seeds needed a restart.
"""
import numpy as np

from ... import nn
from .. import losses, optim, tasks
from ._common import Stopwatch, one_thread, pyplot, save, silent

HIDDEN = 3
TRAIN_BITS = 8
TEST_BITS = (8, 16, 32, 64)
RECIPE = dict(lr=0.5, momentum=0.9, nesterov=True, batch=32, steps=1500, settle=500, tries=3,
              train_sums=2000)
DIGITS = (-1.0, 1.0)  # what an input unit shows for a 0 and a 1


def _sums(rng, n, bits):
    return columns(tasks.random_bits(n, bits, rng), tasks.random_bits(n, bits, rng))


def columns(a_bits, b_bits):
    """Two numbers' bits (B, N) -> the net's inputs (N+1, B, 2) and the sum's bits (N+1, B)."""
    return tasks.binary_addition(a_bits, b_bits, DIGITS)


def make_net(rng):
    """The lecture's net: 2 inputs -> 3 logistic hidden units (recurrent) -> 1 logistic output."""
    return nn.SequenceModel(nn.RNN(2, HIDDEN, activation="logistic", dtype=np.float64, rng=rng),
                            nn.Linear(HIDDEN, 1, dtype=np.float64, rng=rng))


def sum_accuracy(net, x, s):
    """Fraction of sums whose every bit is right (output unit above 0.5 means 1)."""
    out, _ = net.forward(x, training=False)
    return float(np.mean(np.all((out[..., 0] > 0) == s.astype(bool), axis=0)))


def train_adder(rng, x_train, s_train, *, lr, momentum, nesterov, batch, steps, settle, tries, log=silent,
                **_):
    """SGD on random minibatches of the training sums. A try has learned once 300 held-out 64-bit
    sums all come out right; it then trains `settle` steps more, so that the hidden units saturate
    into crisp patterns. A try that has not learned within `steps` restarts from a new initialisation.
    -> (net, {"tries", "steps", "losses", "learned"})"""
    x_val, s_val = _sums(rng, 300, 64)
    targets = s_train[..., None].astype(np.float64)

    def sgd_step(net, opt):
        idx = rng.integers(0, x_train.shape[1], batch)
        out, _ = net.forward(x_train[:, idx])
        loss, dout = losses.logistic(out, targets[:, idx])
        net.zero_grad()
        net.backward(dout)
        opt.step()
        return loss

    for attempt in range(1, tries + 1):
        net = make_net(rng)
        opt = optim.SGD(net, lr=lr, momentum=momentum, nesterov=nesterov)
        curve = []
        for step in range(1, steps + 1):
            curve.append(sgd_step(net, opt))
            if step % 100 == 0:
                val = sum_accuracy(net, x_val, s_val)
                if step % 500 == 0 or val == 1.0:
                    log(f"    try {attempt} step {step:4d}  loss {np.mean(curve[-100:]):.4f}  "
                        f"held-out 64-bit sums right {val:6.1%}")
                if val == 1.0:
                    curve += [sgd_step(net, opt) for _ in range(settle)]
                    log(f"    try {attempt} step {step + settle:4d}  loss {np.mean(curve[-100:]):.4f}  "
                        f"(after {settle} steps more to settle)")
                    return net, dict(tries=attempt, steps=step + settle, losses=curve, learned=True)
        log(f"    try {attempt} did not learn in {steps} steps: "
            + ("restarting from a new initialisation" if attempt < tries else "giving up"))
    return net, dict(tries=tries, steps=steps, losses=curve, learned=False)


def _unseen_8bit(rng, n, train_keys):
    # 8-bit test sums none of which is among the training pairs
    a = tasks.random_bits(4 * n, 8, rng)
    b = tasks.random_bits(4 * n, 8, rng)
    keys = np.array(tasks.bits_to_int(np.concatenate([a, b], axis=1)))
    keep = ~np.isin(keys, train_keys)
    return columns(a[keep][:n], b[keep][:n])


def feedforward_baseline(rng, a_train, b_train, tests, *, width=64, hidden=32, steps=3000, log=silent):
    """A feed-forward net that sees both numbers at once (slide 19): inputs are the 2 x `width` bits,
    zero-padded, outputs the width+1 sum bits. Trained on the same 8-bit sums, so the weights of the
    high bit positions never learn anything: it cannot carry what it learned to longer numbers.
    -> {bits: accuracy on `tests[bits]`}"""
    def encode(x):  # x (N+1, B, 2) columns -> (B, 2*width) inputs, padded with 0 digits
        n = x.shape[0] - 1
        enc = np.full((x.shape[1], 2 * width), DIGITS[0])
        enc[:, :n], enc[:, width:width + n] = x[:n, :, 0].T, x[:n, :, 1].T
        return enc

    x_train, s_train = columns(a_train, b_train)
    inputs = encode(x_train)
    targets = np.zeros((inputs.shape[0], width + 1))
    targets[:, :s_train.shape[0]] = s_train.T
    net = nn.Sequential(nn.Linear(2 * width, hidden, dtype=np.float64, rng=rng),
                        nn.Activation("logistic"),
                        nn.Linear(hidden, width + 1, dtype=np.float64, rng=rng))
    opt = optim.SGD(net, lr=0.5, momentum=0.9, nesterov=True)
    for step in range(1, steps + 1):
        idx = rng.integers(0, inputs.shape[0], 32)
        out = net.forward(inputs[idx])
        loss, dout = losses.logistic(out, targets[idx])
        net.zero_grad()
        net.backward(dout)
        opt.step()
        if step % 1000 == 0:
            log(f"    feed-forward step {step}  loss {loss:.4f}")
    accuracy = {}
    for bits, (x, s) in tests.items():
        out = net.forward(encode(x), training=False)
        want = np.zeros_like(out, bool)
        want[:, :s.shape[0]] = s.T
        accuracy[bits] = float(np.mean(np.all((out > 0) == want, axis=1)))
    return accuracy


# ---- reading the automaton out of the hidden states -----------------------------------------------

def cluster(points, radius=0.3):
    """Leader clustering: a point within `radius` of an existing pattern's centre joins it, otherwise
    it starts a new pattern; then every point is reassigned to its nearest centre.
    points (N, D) -> centres (K, D), labels (N,)."""
    centres = []
    for p in points:
        if not centres or np.min(np.linalg.norm(np.array(centres) - p, axis=1)) > radius:
            centres.append(p)
    centres = np.array(centres)
    for _ in range(3):
        labels = np.argmin(np.linalg.norm(points[:, None, :] - centres[None], axis=2), axis=1)
        centres = np.array([points[labels == k].mean(axis=0) for k in range(len(centres))])
    return centres, labels


LECTURE_STATES = [(0, 0), (0, 1), (1, 0), (1, 1)]  # (carry, printed bit), slide 20


def _state_name(carry, bit):
    return f"{'carry' if carry else 'no carry'}, print {bit}"


def read_automaton(net, rng, n=200, bits=16):
    """Run the trained net on fresh sums; cluster its hidden activity vectors; tabulate
    (pattern before a column, column) -> (pattern after it, printed bit).

    -> dict with centres (K, 3), per pattern its meaning (carry, bit) by majority and purity, the
    transition table {(k, (a, b)): (k', printed, consistency)}; `consistent`: every pattern stands for
    one state of the lecture's automaton and every printed bit is right; `matches`: consistent with
    exactly one pattern per state."""
    x, s = _sums(rng, n, bits)
    h, _ = net.recurrent.forward(x, training=False)
    printed = (net.readout.forward(h, training=False)[..., 0] > 0).astype(int)
    T, B, _ = h.shape
    a, b = (x[..., 0] > 0).astype(int), (x[..., 1] > 0).astype(int)
    carry = np.zeros((T, B), int)  # carry after each column
    c = np.zeros(B, int)
    for t in range(T):
        c = (a[t] + b[t] + c) >> 1
        carry[t] = c
    centres, labels = cluster(h.reshape(-1, h.shape[2]))
    labels = labels.reshape(T, B)
    meaning, purity = [], []
    for k in range(len(centres)):
        pairs = np.stack([carry[labels == k], s[labels == k]], axis=1)
        values, counts = np.unique(pairs, axis=0, return_counts=True)
        meaning.append(tuple(int(v) for v in values[np.argmax(counts)]))
        purity.append(float(counts.max() / counts.sum()))
    # number the patterns in the order of the lecture's states, for a readable table
    order = sorted(range(len(centres)), key=lambda k: (meaning[k], -purity[k]))
    rank = np.argsort(order)
    centres, labels = centres[order], rank[labels]
    meaning, purity = [meaning[k] for k in order], [purity[k] for k in order]
    table = {}
    prev = np.vstack([np.full((1, B), -1), labels[:-1]])  # -1: the start state h0
    for k in range(-1, len(centres)):
        for col in [(0, 0), (0, 1), (1, 0), (1, 1)]:
            m = (prev == k) & (a == col[0]) & (b == col[1])
            if not m.any():
                continue
            nxt, nxt_counts = np.unique(labels[m], return_counts=True)
            bit_counts = np.bincount(printed[m], minlength=2)
            consistency = min(nxt_counts.max() / m.sum(), bit_counts.max() / m.sum())
            table[(k, col)] = (int(nxt[np.argmax(nxt_counts)]), int(np.argmax(bit_counts)), float(consistency))
    # Each pattern stands for one state of the lecture's automaton when every visit to it comes with
    # the same (carry, printed bit); then, since the carry after a column is the automaton's function
    # of the carry before it and the column, every transition between patterns is one of the
    # automaton's, and merging the patterns that stand for the same state gives the automaton itself.
    consistent = all(p == 1.0 for p in purity) and bool(np.all(printed == s))
    return dict(centres=centres, meaning=meaning, purity=purity, table=table,
                consistent=consistent, matches=consistent and meaning == LECTURE_STATES,
                hidden=h.reshape(-1, h.shape[2]), labels=labels.reshape(-1))


def format_automaton(auto):
    """The transition table as lines: each learned pattern, and for every column the pattern the net
    goes to and the bit it prints, beside what the lecture's automaton does from the same state."""
    cols = [(0, 0), (0, 1), (1, 0), (1, 1)]
    short = {0: "no carry", 1: "carry"}
    lines = ["  transitions: pattern before a column, column a b -> pattern after it / printed bit"
             "   [lecture's automaton: next state / printed bit]",
             f"    {'pattern':10s}{'is the state':20s}" + "".join(f"{f'column {a} {b}':23s}" for a, b in cols).rstrip()]
    for k in [-1] + list(range(len(auto["centres"]))):
        carry_in = 0 if k == -1 else auto["meaning"][k][0]
        cells = []
        for a, b in cols:
            total = a + b + carry_in
            lecture = f"[{short[total >> 1]}/{total & 1}]"
            learned = (f"P{auto['table'][(k, (a, b))][0]}/{auto['table'][(k, (a, b))][1]}"
                       if (k, (a, b)) in auto["table"] else "-")
            cells.append(f"{learned:7s}{lecture:16s}")
        name, state = ("start", "h0 = 0") if k == -1 else (f"P{k}", _state_name(*auto["meaning"][k]))
        lines.append((f"    {name:10s}{state:20s}" + "".join(cells)).rstrip())
    return lines


def verdict(auto):
    if auto["matches"]:
        return "the learned transition table IS the lecture's automaton: 4 patterns, one per state"
    if auto["consistent"]:
        return (f"the net implements the lecture's automaton with {len(auto['centres'])} patterns: each "
                f"pattern stands for one of its states (some states have several patterns); merging them "
                f"gives exactly the lecture's 4-state automaton")
    return ("the hidden patterns do NOT each stand for one state of the lecture's automaton "
            f"(purity {min(auto['purity']):.1%} at worst)")


@one_thread
def run(seed=0, quick=False, plot=True, out=".", log=print):
    """Train the lecture's net, test it on longer sums than it saw, read out its automaton, compare a
    feed-forward net, and count successes over 10 seeds. -> result dict."""
    clock = Stopwatch()
    rng = np.random.default_rng(seed)
    recipe = dict(RECIPE)
    log(f"binary addition (slides 19-23): 2 inputs -> {HIDDEN} logistic hidden units (recurrent) -> "
        f"1 logistic output; seed {seed}")
    log(f"  recipe: SGD lr {recipe['lr']}, Nesterov momentum {recipe['momentum']}, batch {recipe['batch']}, "
        f"logistic loss on every step, <= {recipe['steps']} steps a try, <= {recipe['tries']} tries; "
        f"{recipe['train_sums']} random {TRAIN_BITS}-bit training sums; inputs show digits as -1/+1")
    a_train = tasks.random_bits(recipe["train_sums"], TRAIN_BITS, rng)
    b_train = tasks.random_bits(recipe["train_sums"], TRAIN_BITS, rng)
    x_train, s_train = columns(a_train, b_train)
    train_keys = np.array(tasks.bits_to_int(np.concatenate([a_train, b_train], axis=1)))
    net, info = train_adder(rng, x_train, s_train, log=log, **recipe)
    log(f"  trained in {info['tries']} tr{'y' if info['tries'] == 1 else 'ies'}, {info['steps']} steps of the last "
        f"({'learned' if info['learned'] else 'NOT learned'})")

    tests = {8: _unseen_8bit(rng, 1000, train_keys)}
    tests.update({bits: _sums(rng, 1000, bits) for bits in TEST_BITS[1:]})
    rnn_acc = {bits: sum_accuracy(net, *tests[bits]) for bits in TEST_BITS}
    log("  training the feed-forward baseline (128 inputs = two zero-padded 64-bit numbers, 32 logistic "
        "hidden, 65 outputs)")
    ff_acc = feedforward_baseline(rng, a_train, b_train, tests, steps=1000 if quick else 3000, log=log)
    log("  sums with every bit right, on 1000 test sums each (8-bit: none seen in training):")
    log("    bits        " + "".join(f"{b:>8d}" for b in TEST_BITS))
    log("    recurrent   " + "".join(f"{rnn_acc[b]:8.1%}" for b in TEST_BITS))
    log("    feed-forward" + "".join(f"{ff_acc[b]:8.1%}" for b in TEST_BITS))

    auto = read_automaton(net, rng)
    log(f"  hidden activity vectors cluster into {len(auto['centres'])} distinct patterns "
        f"(lecture: 4); each pattern's meaning is its majority (carry after the column, printed bit):")
    for k, ((c, bit), pur) in enumerate(zip(auto["meaning"], auto["purity"])):
        log(f"    P{k} = [{' '.join(f'{v:.2f}' for v in auto['centres'][k])}]  -> {_state_name(c, bit):17s}"
            f"  ({pur:.1%} of its visits)")
    for line in format_automaton(auto):
        log(line)
    log("  " + verdict(auto))

    sweep_seeds = [] if quick else list(range(seed, seed + 10))
    sweep = []
    if sweep_seeds:
        log(f"  10 seeds ({sweep_seeds[0]}..{sweep_seeds[-1]}), same recipe, success = every one of 1000 "
            f"64-bit test sums right:")
    for s in sweep_seeds:
        if s == seed:  # the same draws as the net above: reuse it
            i, acc64, a = info, rnn_acc[64], auto
        else:
            r = np.random.default_rng(s)
            xs, ss = _sums(r, recipe["train_sums"], TRAIN_BITS)
            n, i = train_adder(r, xs, ss, **recipe)
            acc64, a = sum_accuracy(n, *_sums(r, 1000, 64)), read_automaton(n, r)
        sweep.append(dict(seed=s, tries=i["tries"], steps=i["steps"], acc64=acc64, success=acc64 == 1.0,
                          patterns=len(a["centres"]), automaton=a["consistent"]))
        log(f"    seed {s}: 64-bit sums right {acc64:7.1%} after {i['tries']} tr{'y' if i['tries'] == 1 else 'ies'}, "
            f"{len(a['centres'])} hidden patterns, "
            + ("the lecture's automaton" if a["consistent"] else "not the lecture's automaton"))
    if sweep:
        ok = sum(r["success"] for r in sweep)
        first = sum(r["success"] and r["tries"] == 1 for r in sweep)
        four = sum(r["success"] and r["patterns"] == 4 for r in sweep)
        log(f"  seeds that succeed: {ok}/10 ({first} at the first initialisation, {ok - first} after restarts; "
            f"a try is {recipe['steps']} steps); {four} of them with exactly 4 hidden patterns")
        log("  (the lecture's net learned 4 patterns; nets here often spread one state over several "
            "patterns, which is the same automaton with states split)")

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig = plt.figure(figsize=(12, 3.8))
        ax = fig.add_subplot(1, 3, 1)
        ax.plot(np.convolve(info["losses"], np.ones(50) / 50, mode="valid"))
        ax.set(xlabel="step (last try)", ylabel="logistic loss (50-step mean)", yscale="log",
               title="training")
        ax = fig.add_subplot(1, 3, 2)
        w = 0.38
        ax.bar(np.arange(4) - w / 2, [rnn_acc[b] for b in TEST_BITS], w, label="recurrent, 3 hidden")
        ax.bar(np.arange(4) + w / 2, [ff_acc[b] for b in TEST_BITS], w, label="feed-forward")
        ax.set(xticks=range(4), xticklabels=[f"{b}-bit" for b in TEST_BITS], ylabel="sums all right",
               title="trained on 8-bit sums", ylim=(0, 1.3))
        ax.legend(loc="upper center", ncol=2, fontsize=8)
        ax = fig.add_subplot(1, 3, 3, projection="3d")
        pts = auto["hidden"][:2000]
        ax.scatter(*pts.T, c=auto["labels"][:2000], cmap="tab10", s=6)
        for k, ctr in enumerate(auto["centres"]):
            ax.text(*ctr, f"  {_state_name(*auto['meaning'][k])}", fontsize=7)
        ax.set(xlabel="h1", ylabel="h2", zlabel="h3", title=f"{len(auto['centres'])} hidden activity patterns")
        figure = save(fig, out, "binary_addition", log)
    log(f"  done in {clock}")
    return dict(net=net, train=info, rnn_accuracy=rnn_acc, feedforward_accuracy=ff_acc,
                patterns=len(auto["centres"]), automaton=auto,
                sweep=sweep, figure=figure)
