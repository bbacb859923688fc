"""Training on several devices or machines with TensorFlow's own tf.distribute.

``--strategy`` picks one of TensorFlow's strategies; Keras' `fit()` then runs
the GAN's train step once per replica and this module supplies what a
custom train step and a run folder need on top of that:

- `make_strategy`: default, mirrored (all local GPUs, else every logical CPU
  device), multi-worker (the cluster from ``TF_CONFIG``) or TPU.
- `check_batch`: ``batch_size`` is the global batch; it must split evenly.
- `gradient_scale` and `replica_position`: the train step's losses are means
  over the replica's share of the batch, and the optimizer sums gradients over
  replicas, so gradients are scaled by ``1 / replicas``; each replica takes its
  own slice of one global noise draw, as the default strategy would draw it.
- `synchronize_batchnorm`: BatchNorm statistics over the global batch.
- `is_chief` and `worker_dir`: only the chief writes the run folder; the other
  workers run the same code into a temporary folder that is removed at the
  end (TensorFlow's rule for multi-worker saving).

`check_tf_config` reads ``TF_CONFIG`` without TensorFlow, so bad input fails
before anything is built; everything else imports TensorFlow lazily.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.zoo.config import TRAINER

STRATEGIES: tuple[str, ...] = TRAINER["strategy"].choices


def check_tf_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The parsed ``TF_CONFIG`` of a multi-worker run, or a one-line error saying what is wrong."""
    environ = os.environ if environ is None else environ
    raw = environ.get("TF_CONFIG", "")
    hint = ('e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            '"task": {"type": "worker", "index": 0}}\' (see docs/DISTRIBUTED.md)')
    if not raw.strip():
        raise ConfigError(f"--strategy multi-worker reads the cluster from TF_CONFIG, which is "
                          f"not set; {hint}")
    try:
        conf = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({exc}); {hint}") from None
    cluster = conf.get("cluster") if isinstance(conf, dict) else None
    task = conf.get("task") if isinstance(conf, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise ConfigError(f"TF_CONFIG has no 'cluster' mapping of job names to addresses; {hint}")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
            raise ConfigError(f"TF_CONFIG cluster job {job!r} must be a list of 'host:port'")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ConfigError(f"TF_CONFIG has no 'task' with 'type' and 'index'; {hint}")
    job, index = task["type"], task["index"]
    if job not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[job]):
        raise ConfigError(f"TF_CONFIG task {job}:{index} is not in its cluster "
                          f"({', '.join(f'{k}: {len(v)}' for k, v in cluster.items())})")
    if job not in ("chief", "worker"):
        raise ConfigError(f"TF_CONFIG task type {job!r}: multi-worker training runs chief "
                          "and worker tasks only")
    return conf


def check_name(name: str) -> None:
    """Fail early, without TensorFlow, on a strategy that cannot start."""
    if name not in STRATEGIES:
        raise ConfigError(f"strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    if name == "multi-worker":
        check_tf_config()


def make_strategy(name: str) -> Any:
    """The tf.distribute strategy called `name`, the same object for every run of a process.

    Call it before any other TensorFlow work: multi-worker collectives must be
    configured before TensorFlow initialises its devices. A second strategy of
    one kind in the same process would reuse the first one's collective keys,
    which TensorFlow holds per process, and its all-reduces would meet the
    first one's (a shape-mismatch error); so a process keeps one of each.
    """
    check_name(name)
    return _strategy(name)


@functools.cache
def _strategy(name: str) -> Any:
    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    tpu = os.environ.get("TPU_NAME", "local")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except Exception as exc:  # TensorFlow raises several kinds here; all mean "no TPU"
        raise ConfigError(f"--strategy tpu: no TPU found at TPU_NAME={tpu!r} "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
                          "; set TPU_NAME to the TPU's name or address") from None
    return tf.distribute.TPUStrategy(resolver)


def replicas(strategy: Any) -> int:
    return int(strategy.num_replicas_in_sync)


def check_batch(batch_size: int, strategy: Any) -> None:
    """``batch_size`` is global: each replica takes ``batch_size / replicas`` images."""
    n = replicas(strategy)
    if batch_size % n:
        lower, upper = (batch_size // n) * n, (batch_size // n + 1) * n
        choices = f"{lower} or {upper}" if lower else str(upper)
        raise ConfigError(
            f"--batch-size {batch_size} does not split evenly over {n} replicas; "
            f"use a multiple of {n} (e.g. {choices})"
        )


def is_chief(strategy: Any) -> bool:
    """True on the one worker that writes the run folder (always, outside multi-worker)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not _multi_worker(strategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type in (None, "chief"):
        return True
    # Without a "chief" job, worker 0 is the chief (TensorFlow's convention).
    return task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().jobs


def describe(strategy: Any, name: str) -> str:
    """One line for the run's log: strategy, replicas and, for multi-worker, this task."""
    n = replicas(strategy)
    text = f"strategy {name}: {n} replica{'s' if n != 1 else ''}"
    resolver = getattr(strategy, "cluster_resolver", None)
    if name == "multi-worker" and resolver is not None:
        workers = sum(len(v) for v in resolver.cluster_spec().as_dict().values())
        role = "chief" if is_chief(strategy) else "not chief"
        text += f" over {workers} workers; this is {resolver.task_type} {resolver.task_id} ({role})"
    return text


@contextlib.contextmanager
def worker_dir(strategy: Any) -> Iterator[Path]:
    """A temporary run folder for a worker that is not the chief, removed afterwards."""
    resolver = strategy.cluster_resolver
    path = Path(tempfile.mkdtemp(prefix=f"ganzoo-{resolver.task_type}{resolver.task_id}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def fit_scope(model: Any, strategy: Any) -> Iterator[None]:
    """Run `model.fit()` under `strategy` with the data in the order one device sees it.

    A Keras model created inside a strategy's scope pulls one batch from the
    input before training, to build itself symbolically, and then starts a new
    iterator; a seeded shuffle gives a new iterator a new order, so the run
    would not see the batches the default strategy sees. The GAN is built
    already, so it is told to take the strategy from the enclosing scope
    instead, which is what Keras does for a model built outside any scope.
    """
    model._distribute_strategy = None
    step = model.train_step
    wrapped = _multi_worker(strategy)
    if wrapped:
        # Keras reduces a step's logs across workers with reduce(MEAN, axis=0), which
        # fails on scalars; a (1,) value per replica reduces to the scalar mean.
        import keras

        def train_step(data: Any) -> dict[str, Any]:
            return {k: keras.ops.reshape(v, (1,)) for k, v in step(data).items()}

        model.train_step = train_step
    try:
        with strategy.scope():
            yield
    finally:
        if wrapped:
            del model.train_step


def _multi_worker(strategy: Any) -> bool:
    return bool(getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)())


def shard_dataset(dataset: Any, strategy: Any) -> Any:
    """Shard an in-memory pipeline by element across workers.

    TensorFlow's default (AUTO) tries to shard by file, finds none in an
    in-memory dataset and falls back to DATA with a warning; say DATA outright.
    Every worker computes the same batches (a pure function of seed and step), so the
    shards are disjoint.
    """
    import tensorflow as tf

    if replicas(strategy) == 1:
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def synchronize_batchnorm(models: Any, strategy: Any) -> int:
    """Make every BatchNormalization layer in `models` compute its batch statistics over
    the global batch (Keras' ``synchronized=True``); returns how many layers changed."""
    import keras

    if replicas(strategy) == 1:
        return 0
    changed = 0
    for model in models:
        if model is None:
            continue
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
                layer.synchronized = True
                changed += 1
    return changed


def gradient_scale() -> float:
    """1 / replicas in sync, inside a train step.

    Losses are means over this replica's images and the optimizer sums the
    replicas' gradients, so scaling each replica's gradient by 1 / replicas
    gives the gradient of the mean over the global batch.
    """
    import tensorflow as tf

    return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync


def replica_position() -> tuple[int, Any]:
    """(replicas in sync, this replica's index) inside a train step."""
    import tensorflow as tf

    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return 1, 0
    return int(ctx.num_replicas_in_sync), ctx.replica_id_in_sync_group


def weights_digest(holders: Any) -> str:
    """SHA-256 of every variable of `holders` (models, optimizers), in order: equal on
    workers whose replicas stayed in sync."""
    import keras

    digest = hashlib.sha256()
    for holder in holders:
        for variable in holder.variables:
            digest.update(keras.ops.convert_to_numpy(variable).tobytes())
    return digest.hexdigest()[:16]
