import torch

from avili.losses import CrossModalBatchHardTriplet


def naive_triplet(audio, visual, labels, margin):
    def one(anchors, gallery):
        losses = []
        for n in range(len(labels)):
            pos = [float(torch.dist(anchors[n], gallery[m])) for m in range(len(labels))
                   if labels[m] == labels[n]]
            neg = [float(torch.dist(anchors[n], gallery[m])) for m in range(len(labels))
                   if labels[m] != labels[n]]
            if pos and neg:
                losses.append(max(0.0, max(pos) - min(neg) + margin))
        return sum(losses) / len(losses)
    return (one(audio, visual) + one(visual, audio)) / 2


def test_triplet_matches_loop_on_five_samples():
    g = torch.Generator().manual_seed(3)
    labels = torch.tensor([0, 0, 1, 1, 2])
    audio, visual = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    got = CrossModalBatchHardTriplet(margin=0.5)(audio, visual, labels)["metric"]
    assert abs(float(got) - naive_triplet(audio, visual, labels, 0.5)) < 1e-5


def test_triplet_zero_when_separated():
    labels = torch.tensor([0, 1])
    emb = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    assert float(CrossModalBatchHardTriplet(0.3)(emb, emb, labels)["metric"]) == 0.0
