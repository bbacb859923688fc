"""The built-in plugin: registers ganzoo's own components and the models of registry.json.

It is found through the ``ganzoo`` entry-point group, exactly like a
third-party plugin, and is applied first so that third parties can replace
any of its components by name.
"""

from __future__ import annotations

import os
from functools import partial
from importlib import resources
from typing import Any

from ganzoo.plugin import DEFAULT_DATASET, hookimpl

from . import (
    attention,
    augment,
    auxiliary,
    began,
    charts,
    dcgan,
    losses,
    metrics,
    penalties,
    resnet,
    toy,
    tutorial,
    visualizers,
)

GANZOO_API = 1


@hookimpl
def ganzoo_register_generators(register: Any) -> None:
    register("dcgan", dcgan.build_generator, params=dcgan.GENERATOR_PARAMS,
             description="DCGAN generator sized to the data (Radford et al. 2016)")
    register("began", began.build_generator, params=began.GENERATOR_PARAMS,
             description="BEGAN decoder: 3x3 convs with ELU, nearest upsampling "
                         "(Berthelot et al. 2017)")
    register("tf-tutorial", tutorial.build_generator,
             description="the TensorFlow DCGAN tutorial's generator (28x28 only)")
    register("resnet", resnet.build_generator, params=resnet.GENERATOR_PARAMS,
             description="ResNet generator of WGAN-GP and SNGAN: residual up-blocks with "
                         "BatchNorm (Gulrajani et al. 2017; Miyato et al. 2018)")
    register("sagan", attention.build_sagan_generator, params=attention.SAGAN_GENERATOR_PARAMS,
             description="SAGAN generator: spectrally normalized DCGAN stack with a "
                         "self-attention block (Zhang et al. 2019)")
    register("mlp", toy.build_generator, params=toy.GENERATOR_PARAMS, info={"points": True},
             description="fully connected ReLU generator; linear output for points, "
                         "tanh for images")


@hookimpl
def ganzoo_register_discriminators(register: Any) -> None:
    register("dcgan", dcgan.build_discriminator, params=dcgan.DISCRIMINATOR_PARAMS,
             description="DCGAN discriminator ending in a logit (Radford et al. 2016); "
                         "d_norm=batch|layer|spectral|none, d_heads=class,code")
    register("began", began.build_discriminator, params=began.DISCRIMINATOR_PARAMS,
             description="BEGAN autoencoder; its logits are per-example reconstruction "
                         "energies (Berthelot et al. 2017)")
    register("tf-tutorial", tutorial.build_discriminator,
             description="the TensorFlow DCGAN tutorial's discriminator (28x28 only)")
    register("resnet", resnet.build_discriminator, params=resnet.DISCRIMINATOR_PARAMS,
             description="ResNet critic of WGAN-GP and SNGAN: residual down-blocks, global "
                         "sum pooling; d_norm=spectral|layer|none (Gulrajani et al. 2017; "
                         "Miyato et al. 2018)")
    register("sagan", attention.build_sagan_discriminator,
             params=attention.SAGAN_DISCRIMINATOR_PARAMS,
             description="SAGAN discriminator: spectral norm and a self-attention block "
                         "(Zhang et al. 2019)")
    register("mlp", toy.build_discriminator, params=toy.DISCRIMINATOR_PARAMS,
             info={"points": True},
             description="fully connected ReLU discriminator ending in a logit")


@hookimpl
def ganzoo_register_penalties(register: Any) -> None:
    register("gp", penalties.build_gp, params=penalties.GP_PARAMS,
             description="WGAN-GP gradient penalty on per-example interpolates "
                         "(Gulrajani et al. 2017)")
    register("dragan", penalties.build_dragan, params=penalties.DRAGAN_PARAMS,
             description="gradient penalty around perturbed real data (Kodali et al. 2017)")
    register("r1", penalties.build_r1, params=penalties.R1_PARAMS,
             description="R1: squared gradient norm on real data (Mescheder et al. 2018)")
    register("acgan", auxiliary.build_acgan, params=auxiliary.ACGAN_PARAMS,
             description="auxiliary-classifier term for D and G; needs d_heads=class "
                         "(Odena et al. 2017)")
    register("infogan", auxiliary.build_infogan, params=auxiliary.INFOGAN_PARAMS,
             description="mutual-information term for G and the Q head; needs latent codes "
                         "and d_heads=code (Chen et al. 2016)")


@hookimpl
def ganzoo_register_losses(register: Any) -> None:
    for name, (factory, description) in losses.LOSSES.items():
        register(name, factory, description=description, params=losses.PARAMS.get(name, {}),
                 info=losses.INFO.get(name, {}))


@hookimpl
def ganzoo_register_visualizers(register: Any) -> None:
    # `outputs`: every file each one may write into the run folder (see plugins/visualizers.py,
    # charts.py, toy.py); --overwrite removes them, the report and the run summary show them.
    register("grid", visualizers.build_grid, outputs=("grid.png", "samples/epoch_*.png"),
             description="sample grid from a fixed noise batch, one PNG per epoch (grid.png)")
    register("compare", visualizers.build_compare, outputs=("compare.png",),
             description="real training images beside generated ones (compare.png)")
    register("losses", charts.build_loss_curves, outputs=("losses.png",),
             description="loss curves of G, D and each penalty (losses.png)")
    register("metrics", charts.build_metric_curves, outputs=("metrics.png",),
             description="curves of every other metric in metrics.csv and eval.csv (metrics.png)")
    register("histogram", charts.build_histogram, params=charts.HISTOGRAM_PARAMS,
             outputs=("histogram.png", "histogram.json"),
             description="pixel-intensity histogram per channel, real vs generated "
                         "(histogram.png, .json)")
    register("interpolation", visualizers.build_interpolation,
             params=visualizers.INTERPOLATION_PARAMS,
             outputs=("interpolation.png", "interpolation.gif"),
             description="spherical interpolation between random noise vectors "
                         "(interpolation.png, .gif)")
    register("progress", visualizers.build_progress, outputs=("progress.gif",),
             description="the per-epoch grids as one animation (progress.gif); list after grid")
    register("neighbours", visualizers.build_neighbours, params=visualizers.NEIGHBOUR_PARAMS,
             outputs=("neighbours.png", "neighbours.json"),
             description="nearest training images of generated ones, a memorization check "
                         "(neighbours.png, .json)")
    register("scatter", toy.build_scatter,
             outputs=("scatter.png", "samples/scatter_*.png", "modes.json"),
             description="generated against real 2-D points with the modes marked, "
                         "one PNG per epoch (point data only)")


@hookimpl
def ganzoo_register_augmentations(register: Any) -> None:
    for name, (factory, description) in augment.FACTORIES.items():
        register(name, factory, description=description)


@hookimpl
def ganzoo_register_metrics(register: Any) -> None:
    for name, (function, description) in metrics.METRICS.items():
        register(name, function, description=description)
    register("modes", toy.mode_coverage,
             description="toy 2-D sets: modes covered and high-quality share (VEEGAN/PacGAN)")


def _embedded(split: str) -> Any:
    from ganzoo.plugin import datasets as data

    return data.load_embedded(split)


def _standard(name: str, split: str) -> Any:
    from ganzoo.plugin import datasets as data

    return data.load_standard(name, split)


@hookimpl
def ganzoo_register_datasets(register: Any) -> None:
    register(DEFAULT_DATASET, _embedded,
             description="10,000 Fashion-MNIST training images shipped with ganzoo (offline)",
             info={"image_shape": [28, 28, 1], "classes": 10, "images": 10000})
    register("fashion-mnist", partial(_standard, "fashion-mnist"),
             description="Fashion-MNIST, 60,000 training images (Xiao et al. 2017)",
             info={"image_shape": [28, 28, 1], "classes": 10, "images": 60000})
    register("mnist", partial(_standard, "mnist"),
             description="MNIST handwritten digits, 60,000 training images (LeCun et al. 1998)",
             info={"image_shape": [28, 28, 1], "classes": 10, "images": 60000})
    register("cifar10", partial(_standard, "cifar10"),
             description="CIFAR-10, 50,000 32x32 colour training images (Krizhevsky 2009)",
             info={"image_shape": [32, 32, 3], "classes": 10, "images": 50000})
    register("ring8", partial(toy.load_dataset, "ring8"),
             description="8 Gaussians on a circle, radius 1, std 0.01: 100,000 2-D points "
                         "(PacGAN/VEEGAN 2D-ring)",
             info={"image_shape": [2], "classes": 8, "points": 100000})
    register("grid25", partial(toy.load_dataset, "grid25"),
             description="25 Gaussians on a 5x5 grid, spacing 2, std 0.05: 100,000 2-D "
                         "points (PacGAN/VEEGAN 2D-grid)",
             info={"image_shape": [2], "classes": 25, "points": 100000})


@hookimpl
def ganzoo_register_models(register: Any) -> None:
    from ganzoo.plugin import read_registry as read_file

    path = resources.files(__package__) / "registry.json"
    with resources.as_file(path) as file:
        for name, entry in read_file(file).items():
            register(name, entry, source=os.path.realpath(file))
