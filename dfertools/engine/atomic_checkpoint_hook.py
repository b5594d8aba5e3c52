"""AtomicCheckpointHook: a crash while saving never corrupts the last good
checkpoint (docs/design.md, 'Reliability principles').

MMEngine's ``CheckpointHook`` writes ``epoch_N.pth`` in place, deletes the
oldest kept checkpoint *before* writing the new one, and rewrites
``last_checkpoint`` with a truncating ``open('w')``. A kill (OOM, pre-emption,
full disk) at the wrong moment can therefore leave a half-written checkpoint,
an empty ``last_checkpoint`` or, with ``max_keep_ckpts=1``, no checkpoint at
all. This hook keeps every CheckpointHook option and changes only the order
and the mechanics of writing, on the main process:

1. the checkpoint is written to a hidden temporary file in the *same*
   directory (``.epoch_N.pth.tmp-<pid>``), flushed to disk (``fsync``), then
   renamed over the final name with ``os.replace`` — atomic on POSIX and
   Windows within one file system (:mod:`dfertools.utils.atomic_file`, shared
   with ``DFERRunner`` and ``atomic_save``);
2. then ``last_checkpoint`` is updated, itself through temp file + fsync +
   ``os.replace`` + fsync of the folder (never a truncating ``open('w')``);
3. only then are checkpoints beyond ``max_keep_ckpts`` deleted. A kill
   between 2 and 3 leaves one outdated checkpoint on disk (nobody deletes
   it later); a kill between 1 and 2 leaves ``last_checkpoint`` naming the
   previous, still existing checkpoint. ``last_checkpoint`` never names a
   deleted file, and if it does anyway (written by another tool, edited by
   hand, emptied by a full disk) ``--resume`` falls back to the newest
   checkpoint that loads (:mod:`dfertools.utils.resume`).

Best checkpoints (``save_best``) are written the same way, and the previous
best is removed only after the new one is in place. Stale temporary files of
an interrupted save (hidden ``.*.tmp*`` files in ``out_dir``: ours and
``DFERRunner``'s) are removed in ``before_train``.

With ``DFERRunner`` (whose ``save_checkpoint`` is itself atomic) the two
compose: the runner writes our temporary file atomically and we rename it;
this hook adds what a runner alone cannot: rotation only after the save and
the publication, an atomic ``last_checkpoint`` and the ordering of best
checkpoints. Remote backends
(``out_dir`` not on the local file system) fall back to CheckpointHook's
behaviour with a warning, since they have no atomic rename.
"""
import contextlib
import glob
import logging
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log

from dfertools.registry import HOOKS
from dfertools.utils.atomic_file import (TMP_GLOB, atomic_path,  # noqa: F401
                                         atomic_write_text)
from dfertools.utils.resume import read_last_checkpoint

@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` with atomic writes; same arguments."""

    def _is_local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not self._is_local():
            print_log(f'AtomicCheckpointHook: {self.out_dir} is not a local '
                      'path; checkpoints are written non-atomically.',
                      logger='current', level=logging.WARNING)
            return
        if is_main_process():
            for stale in glob.glob(osp.join(self.out_dir, TMP_GLOB)):
                os.remove(stale)
                print_log(f'removed {stale}, left by an interrupted save',
                          logger='current')

    @contextlib.contextmanager
    def _atomic_saves(self, runner):
        """Route ``runner.save_checkpoint`` through a temp file + replace."""
        if not self._is_local() or 'save_checkpoint' in vars(runner):
            yield  # remote backend, or already routed (nested call)
            return
        original = runner.save_checkpoint

        def save(out_dir, filename, *args, **kwargs):
            # save_checkpoint is master-only: other ranks write nothing
            with atomic_path(osp.join(out_dir, filename)) as tmp:
                original(out_dir, osp.basename(tmp), *args, **kwargs)

        runner.save_checkpoint = save
        try:
            yield
        finally:
            del runner.save_checkpoint  # back to the bound method

    def _remove(self, path: str) -> None:
        # the class's method: _save_best_checkpoint defers the instance's
        if self.file_backend.isfile(path):
            type(self.file_backend).remove(self.file_backend, path)
        elif self.file_backend.isdir(path):  # deepspeed saves directories
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._is_local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        # same bookkeeping as CheckpointHook, but the outdated checkpoint is
        # deleted only after the new one is safely on disk
        outdated = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        try:
            with self._atomic_saves(runner):
                runner.save_checkpoint(
                    self.out_dir, ckpt_filename, self.file_client_args,
                    save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler,
                    meta=meta, by_epoch=self.by_epoch,
                    backend_args=self.backend_args, **self.args)
        except OSError as e:
            raise self._save_failed(runner, e) from e

        if not is_main_process():
            return
        # publish first, prune second: a kill in between leaves one extra
        # old checkpoint, never a last_checkpoint naming a deleted file
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'),
                          self.last_ckpt)
        if outdated is not None and outdated != step:
            self._remove(self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated)))

    def _save_failed(self, runner, err: OSError) -> OSError:
        """``err`` naming the checkpoint and the one ``--resume`` would
        continue from (e.g. ``[Errno 28]`` on a full disk names no file)."""
        previous = read_last_checkpoint(runner.work_dir)
        where = (f'the previous checkpoint {previous} and last_checkpoint '
                 'are intact; free space (or fix the folder) and run again '
                 'with --resume to continue from it' if previous else
                 'no earlier checkpoint of this run exists yet')
        why = getattr(err, 'why', None) or err.strerror or str(err)
        return OSError(err.errno, f'{why} while saving checkpoint '
                       f'{self.last_ckpt!r} in {self.out_dir}: it was '
                       f'written to a temporary file, now removed; {where}.')

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self._is_local() or not self.save_best:
            return super()._save_best_checkpoint(runner, metrics)
        # CheckpointHook removes the previous best before saving the new
        # one; keep it until the new best is written, then remove it. (Its
        # nested re-save of the regular checkpoint goes through
        # _save_checkpoint_with_step above, whose rotation is not deferred.)
        old = set(self._best_paths())
        removed = []
        original_remove = self.file_backend.remove

        def deferred_remove(path):
            removed.append(path)

        # CheckpointHook records the new best (path, score) before writing;
        # on a failed write, roll that back so the record matches the disk
        hub = runner.message_hub
        snap_attrs = (getattr(self, 'best_ckpt_path', None),
                      dict(getattr(self, 'best_ckpt_path_dict', None) or {}))
        snap_info = {k: v for k, v in hub.runtime_info.items()
                     if k.startswith('best_')}
        self.file_backend.remove = deferred_remove
        try:
            with self._atomic_saves(runner):
                super()._save_best_checkpoint(runner, metrics)
        except BaseException:
            self.best_ckpt_path = snap_attrs[0]
            if hasattr(self, 'best_ckpt_path_dict'):
                self.best_ckpt_path_dict = snap_attrs[1]
            for k in [k for k in hub.runtime_info if k.startswith('best_')]:
                hub.pop_info(k)
            for k, v in snap_info.items():
                hub.update_info(k, v)
            raise
        finally:
            self.file_backend.remove = original_remove
        new = set(self._best_paths())
        for path in removed:
            if path in old and path not in new and osp.isfile(path):
                original_remove(path)

    def _best_paths(self):
        paths = [getattr(self, 'best_ckpt_path', None)]
        paths += list((getattr(self, 'best_ckpt_path_dict', None)
                       or {}).values())
        return [p for p in paths if p]
