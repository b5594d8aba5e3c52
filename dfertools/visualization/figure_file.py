"""Writing a matplotlib figure to a file: the one place every plot of
dfertools saves through (parent folders created, layout tightened)."""
import os
import os.path as osp


def save_figure(fig, out_file: str, dpi: int = 100,
                close: bool = True) -> str:
    """Tighten ``fig``'s layout, write it to ``out_file`` (creating the
    folder) at ``dpi``, close it unless ``close=False`` (a caller that
    returns the figure), and return ``out_file``."""
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_file, dpi=dpi)
    if close:
        import matplotlib.pyplot as plt
        plt.close(fig)
    return out_file
