"""A fold-aware toy dataset for the end-to-end tools/cv.sh test: fold K
selects a different seed, and test mode yields two views per clip."""
from dfertools.registry import DATASETS
from tests.fixtures.toy_task import ToyClipDataset


@DATASETS.register_module()
class FoldToyClipDataset(ToyClipDataset):

    def __init__(self, fold: int = 1, num_views: int = 1, **kwargs):
        kwargs['seed'] = kwargs.get('seed', 0) + 100 * fold
        super().__init__(**kwargs)
        self.fold, self.num_views = fold, num_views

    def __len__(self):
        return super().__len__() * self.num_views

    def __getitem__(self, idx):
        item = super().__getitem__(idx // self.num_views)
        item['data_samples'].set_metainfo(dict(
            video_id=f'fold{self.fold}/clip_{idx // self.num_views}',
            view_id=idx % self.num_views))
        return item
