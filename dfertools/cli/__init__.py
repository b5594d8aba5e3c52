"""What the command-line tools (``tools/``) share: setting a config up from
their flags (``setup_env``), the checks of config keys nobody reads
(``config_check``) and the one-line errors a user can fix
(``tool_errors``). It sits on top of the package: it may import the
engine, the registries and the models; nothing below imports it."""
