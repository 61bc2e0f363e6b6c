"""The ``hub`` console script: schema, users, tokens, the web server and the outbox.

Other installed packages add commands through the ``hub.commands`` entry-point group (the
background jobs add ``hub worker`` and ``hub jobs``); they are loaded when a command line is
parsed, so nothing under ``hub/`` imports them.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from hub.cli.context import Context, pass_ctx
from hub.cli.demo import demo_group
from hub.cli.init import init_command
from hub.cli.invoice import invoice_group
from hub.cli.outbox import outbox_group
from hub.cli.reconcile import reconcile_group
from hub.cli.reconcile_stripe import reconcile_stripe_command  # noqa: F401 - joins the group
from hub.cli.serve import serve
from hub.cli.sheets import sheets_group
from hub.cli.tokens import token_group
from hub.cli.users import user_group

__all__ = ["PLUGIN_GROUP", "Context", "main", "pass_ctx"]

#: The entry-point group whose ``click`` commands join ``hub``'s own, under their entry's name.
PLUGIN_GROUP = "hub.commands"


class HubGroup(click.Group):
    """A group that adds the plugged-in commands the first time it is asked for any command."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for entry in entry_points(group=PLUGIN_GROUP):
            command = entry.load()
            if not isinstance(command, click.Command):
                raise TypeError(f"entry point {entry.value} is not a click command")
            if entry.name in self.commands:
                raise RuntimeError(f"hub {entry.name} is defined twice ({entry.value})")
            self.add_command(command, entry.name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugins()
        return super().get_command(ctx, cmd_name)


@click.group(cls=HubGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run and administer the concierge hub."""
    ctx.call_on_close(ctx.ensure_object(Context).close)


for _command in (
    init_command,
    demo_group,
    user_group,
    token_group,
    serve,
    outbox_group,
    reconcile_group,
    invoice_group,
    sheets_group,
):
    main.add_command(_command)
