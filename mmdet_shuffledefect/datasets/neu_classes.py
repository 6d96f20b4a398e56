"""The NEU surface-defect classes, their palette and NEU-CLS file prefixes."""
from typing import Dict, Tuple


class DataError(ValueError):
    """A dataset file (annotation, image, split) is malformed or unreadable.

    The message names the file and what was expected; the tools turn it into
    one ``error:`` line and a non-zero exit.
    """

#: The six NEU-DET classes, spelled as in the XML ``<name>`` and file names.
NEU_CLASSES: Tuple[str, ...] = ('crazing', 'inclusion', 'patches', 'pitted_surface',
                                'rolled-in_scale', 'scratches')

#: One RGB colour per class, for drawings.
NEU_PALETTE = [(220, 20, 60), (0, 130, 255), (255, 165, 0), (60, 179, 113),
               (148, 0, 211), (255, 215, 0)]

#: NEU-DET class name -> NEU-CLS file prefix (``crazing_17`` <-> ``Cr_17``).
NEU_CLS_PREFIXES: Dict[str, str] = {
    'crazing': 'Cr',
    'inclusion': 'In',
    'patches': 'Pa',
    'pitted_surface': 'PS',
    'rolled-in_scale': 'RS',
    'scratches': 'Sc',
}
PREFIX_TO_CLASS: Dict[str, str] = {v: k for k, v in NEU_CLS_PREFIXES.items()}


def file_class(stem: str) -> str:
    """The class a file name stands for: the part before the last ``_``.

    Example:
        >>> file_class('rolled-in_scale_12'), file_class('Cr_3')
        ('rolled-in_scale', 'Cr')
    """
    return stem.rsplit('_', 1)[0] if '_' in stem else stem
