"""The zoo: plugins loaded into a catalog of components and model entries, and the
configuration of one run. Nothing here imports TensorFlow."""
