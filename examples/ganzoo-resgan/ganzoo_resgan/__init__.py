"""ganzoo-resgan: a third-party ganzoo plugin, kept in ganzoo's repository as the example.

It adds a small residual-block generator and discriminator of its own (`resgan`; He et
al. 2016, in the GAN form of Gulrajani et al. 2017), the relativistic average GAN loss
(Jolicoeur-Martineau 2018), a visualizer that compares the pixel-wise mean and
spread of generated and real images, and the `resgan` model that puts them
together (registry.json).

This module is imported by every ganzoo command, so it imports nothing heavy:
TensorFlow and Keras are imported inside the factories.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

from ganzoo.plugin import hookimpl

from . import losses, networks, visualizers

#: The ganzoo plugin API this plugin is written for.
GANZOO_API = 1


@hookimpl
def ganzoo_register_generators(register: Any) -> None:
    register("resgan", networks.build_generator, params=networks.GENERATOR_PARAMS,
             description="residual up-sampling blocks (Gulrajani et al. 2017)")


@hookimpl
def ganzoo_register_discriminators(register: Any) -> None:
    register("resgan", networks.build_discriminator, params=networks.DISCRIMINATOR_PARAMS,
             description="residual down-sampling blocks ending in a logit (Gulrajani et al. 2017)")


@hookimpl
def ganzoo_register_losses(register: Any) -> None:
    register("ragan", losses.build_ragan,
             description="relativistic average standard GAN loss (Jolicoeur-Martineau 2018)")


@hookimpl
def ganzoo_register_visualizers(register: Any) -> None:
    register("moments", visualizers.build_moments, outputs=("moments.png",),
             description="pixel-wise mean and spread of real vs generated images (moments.png)")


@hookimpl
def ganzoo_register_models(register: Any) -> None:
    from ganzoo.plugin import read_registry as read_file

    with resources.as_file(resources.files(__package__) / "registry.json") as path:
        for name, entry in read_file(path).items():
            register(name, entry, source=os.path.realpath(path))
