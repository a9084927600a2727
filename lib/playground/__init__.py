"""The playground of playground.tensorflow.org (chapter 9): ``model`` is the network and its
training without a display; ``widget`` draws it with ipywidgets. ``from lib.playground import
Playground`` is the model; the widget is imported only where a display is wanted."""
from lib.playground.model import *  # noqa: F401,F403  (the model's public names, listed in model.__all__)
from lib.playground.model import __all__  # noqa: F401
