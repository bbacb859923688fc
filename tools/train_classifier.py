"""Train the Fashion-MNIST classifier that ganzoo's 28x28 metrics use, and its references.

Why a script: the feature extractor behind every ganzoo figure must be reproducible by
anyone from the public data set. The recipe is fixed: the CNN of `ganzoo.evaluation.classifier`,
trained on the Fashion-MNIST TRAINING split (60,000 images, scaled to [0, 1]) with
Adam(1e-3), batch 128, `--epochs` epochs (default 6), seed 0; the TEST split (10,000
images) is used only to measure accuracy and to compute the reference statistics.

Writes into ganzoo/datafiles/fmnist-classifier:
  classifier.weights.h5   the weights (Keras' weights-only layout)
  reference-test.npz      mean and covariance of the test split's 128-d features,
                          the features themselves (float16, in a fixed random order, for
                          KID and precision/recall), the test split's classifier score and
                          class shares
  info.json               accuracy, recipe, versions, hashes, and figures of the shipped
                          train subset against the reference (a sanity check)

Usage (from the repository root; a few CPU-minutes):

    python tools/train_classifier.py [--epochs 6] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from ganzoo.artifacts.files import atomic_path, write_json  # noqa: E402
from ganzoo.data.loading import load_embedded, load_standard  # noqa: E402
from ganzoo.evaluation import classifier, metrics  # noqa: E402

DEFAULT_OUT = REPO / "ganzoo" / "datafiles" / classifier.FOLDER
SEED = 0
BATCH = 128
LR = 1e-3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(SEED)
    train = load_standard("fashion-mnist", "train")
    test = load_standard("fashion-mnist", "test")
    x_train = train.images.astype(np.float32) / 255.0
    x_test = test.images.astype(np.float32) / 255.0
    print(f"train: {len(train)} images from {train.source}; test: {len(test)} from {test.source}")

    model, feature_model = classifier.build()
    model.compile(optimizer=keras.optimizers.Adam(LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, train.labels, batch_size=BATCH, epochs=args.epochs, shuffle=True,
              verbose=2)
    seconds = time.perf_counter() - start

    test_feats, test_probs = classifier.predict(feature_model, x_test)
    _, train_probs = classifier.predict(feature_model, x_train)
    test_acc = float((test_probs.argmax(1) == test.labels).mean())
    train_acc = float((train_probs.argmax(1) == train.labels).mean())
    print(f"accuracy: test {test_acc:.4f}, train {train_acc:.4f} ({seconds:.0f} s training)")

    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / classifier.WEIGHTS
    shipped, _ = classifier.build()  # uncompiled: the file holds no optimizer state
    shipped.set_weights(model.get_weights())
    with atomic_path(weights, suffix=".weights.h5") as tmp:
        shipped.save_weights(tmp)

    mean, cov = metrics.gaussian_stats(test_feats)
    order = np.random.default_rng(SEED).permutation(len(test_feats))
    score, _ = metrics.classifier_score(test_probs)
    shares = np.bincount(test.labels, minlength=10) / len(test.labels)
    with atomic_path(args.out / classifier.REFERENCE) as tmp, tmp.open("wb") as f:
        np.savez_compressed(f, mean=mean, cov=cov,
                            features=test_feats[order].astype(np.float16),
                            classifier_score=np.float64(score), class_shares=shares,
                            n=np.int64(len(test_feats)))

    # Sanity figures: the shipped train subset against the test reference.
    embedded = load_embedded()
    emb_feats, emb_probs = classifier.predict(feature_model,
                                              embedded.images.astype(np.float32) / 255.0)
    emb_mean, emb_cov = metrics.gaussian_stats(emb_feats)
    info = {
        "name": classifier.NAME, "version": classifier.VERSION,
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "test_accuracy": round(test_acc, 4), "train_accuracy": round(train_acc, 4),
        "recipe": {"data": "fashion-mnist train split (60000 images, [0, 1])",
                   "optimizer": f"Adam({LR})", "batch_size": BATCH, "epochs": args.epochs,
                   "seed": SEED, "script": "tools/train_classifier.py"},
        "reference": {"dataset": "fashion-mnist", "split": "test", "n": len(test_feats),
                      "classifier_score": round(score, 4),
                      "features_stored": "all, float16, shuffled with default_rng(0)"},
        "embedded_train_subset_vs_reference": {
            "n": len(embedded),
            "frechet_distance": round(metrics.frechet_distance(emb_mean, emb_cov, mean, cov), 4),
            "classifier_score": round(metrics.classifier_score(emb_probs)[0], 4),
            "accuracy": round(float((emb_probs.argmax(1) == embedded.labels).mean()), 4),
        },
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__,
                     "numpy": np.__version__},
    }
    write_json(args.out / classifier.INFO, info)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
