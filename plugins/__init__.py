"""ganzoo's built-in plugins, installed as the import package ``ganzoo_plugins``.

They are registered through the ``ganzoo`` entry-point group like any
third-party plugin (see ``builtin.py``), and like any plugin they import
TensorFlow only inside component factories.
"""
