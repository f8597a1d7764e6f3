import torch

from avili.losses import LatentInteractionRegularizer, lir_pair_weights


def naive_lir(audio, visual, labels, sa, sv, links):
    total, pairs = 0.0, 0
    for n in range(len(labels)):
        for m in range(len(labels)):
            i, j = int(labels[n]), int(labels[m])
            if i == j:
                continue
            pairs += 1
            w = links[i, j] * 0.5 * (sa[n, j] + sv[m, i])
            total += w * float(((audio[n] - visual[m]) ** 2).sum())
    return float(total) / pairs


def test_lir_matches_per_pair_loop():
    g = torch.Generator().manual_seed(0)
    b, c, e = 7, 4, 5
    labels = torch.tensor([0, 1, 1, 2, 3, 0, 2])
    audio, visual = torch.randn(b, e, generator=g), torch.randn(b, e, generator=g)
    sa, sv = torch.rand(b, c, generator=g), torch.rand(b, c, generator=g)
    links = torch.rand(c, c, generator=g)
    links = (links + links.T) / 2
    links.fill_diagonal_(0)
    got = LatentInteractionRegularizer(links)(audio, visual, labels, sa, sv)["lir"]
    assert torch.isclose(got, torch.tensor(naive_lir(audio, visual, labels, sa, sv, links),
                                           dtype=got.dtype), atol=1e-6)


def test_weights_zero_for_same_label_and_unlinked():
    labels = torch.tensor([0, 0, 1])
    soft = torch.ones(3, 2)
    w = lir_pair_weights(labels, soft, soft, torch.tensor([[0.0, 0.5], [0.5, 0.0]]))
    assert w[0, 1] == 0 and w[1, 0] == 0 and w[0, 2] == 0.5 and w[2, 0] == 0.5
    w = lir_pair_weights(labels, soft, soft, torch.zeros(2, 2))
    assert (w == 0).all()


def test_lir_pulls_linked_pair_together():
    labels = torch.tensor([0, 1])
    audio = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    visual = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    links = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    loss = LatentInteractionRegularizer(links)(audio, visual, labels, torch.ones(2, 2),
                                               torch.ones(2, 2))["lir"]
    loss.backward()
    # the gradient step moves audio 0 toward visual 1
    step = -audio.grad[0]
    assert float(step @ (visual[1] - audio[0].detach())) > 0
