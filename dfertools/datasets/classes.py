"""Class names of the DFER datasets (docs/design.md,
'Datasets and class order').

The 0-based class order is the one shared by every public DFER code base:

* DFEW / FERV39k (7): 0 Happy, 1 Sad, 2 Neutral, 3 Angry, 4 Surprise,
  5 Disgust, 6 Fear. The official DFEW csv files number these 1–7 in the
  same order; ``annotations.py`` shifts them to 0–6.
* MAFW (11): anger, disgust, fear, happiness, neutral, sadness, surprise,
  contempt, anxiety, helplessness, disappointment.

SynthDFER uses the DFEW classes; VoxCeleb2 is unlabeled.
"""
from typing import Dict, Optional, Tuple

DFEW_CLASSES: Tuple[str, ...] = ('Happy', 'Sad', 'Neutral', 'Angry',
                                 'Surprise', 'Disgust', 'Fear')
MAFW_CLASSES: Tuple[str, ...] = ('anger', 'disgust', 'fear', 'happiness',
                                 'neutral', 'sadness', 'surprise', 'contempt',
                                 'anxiety', 'helplessness', 'disappointment')

DATASET_CLASSES: Dict[str, Tuple[str, ...]] = {
    'dfew': DFEW_CLASSES,
    'ferv39k': DFEW_CLASSES,
    'synth_dfer': DFEW_CLASSES,
    'mafw': MAFW_CLASSES,
}

# Alternative spellings met in official label files, mapped to our names.
_SYNONYMS = {
    'happiness': 'happy', 'sadness': 'sad', 'anger': 'angry',
    'happy': 'happiness', 'sad': 'sadness', 'angry': 'anger',
}


def get_classes(dataset_name: str) -> Tuple[str, ...]:
    """Return the class names of ``dataset_name`` (case-insensitive)."""
    key = dataset_name.lower()
    if key not in DATASET_CLASSES:
        raise KeyError(
            f'Unknown dataset_name {dataset_name!r}; expected one of '
            f'{sorted(DATASET_CLASSES)} (or pass `classes=` explicitly).')
    return DATASET_CLASSES[key]


def class_index(name: str, classes: Tuple[str, ...]) -> Optional[int]:
    """Index of the class called ``name`` in ``classes`` or ``None``.

    Case-insensitive; accepts the adjective/noun variants used by the
    official releases (``Happy``/``happiness``, ``Sad``/``sadness``,
    ``Angry``/``anger``).
    """
    lowered = [c.lower() for c in classes]
    key = name.lower()
    for candidate in (key, _SYNONYMS.get(key)):
        if candidate is not None and candidate in lowered:
            return lowered.index(candidate)
    return None
