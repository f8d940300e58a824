"""The one `tobs` command. Each subcommand is a thin wrapper in this package over a function of tobs.ops, the
device layer or the register; the options they share and the one way to fail live in tobs.cli.options."""

from __future__ import annotations

import typer

from tobs.cli import demo, deploy, device, fhir, problems, register, score, sim, web
from tobs.cli.entry import GuardedGroup

app = typer.Typer(
    cls=GuardedGroup,  # every way a command line ends becomes an exit code and at most one sentence
    no_args_is_help=True,
    add_completion=False,
    help="TOBS early-warning score: decision support, not diagnosis.",
)

# In the order `tobs --help` lists them: the bedside and shift-end jobs first, the register's listings after.
app.command()(demo.demo)
app.command()(score.score)
app.command()(sim.sim)
app.command()(device.sync)
app.command()(device.enroll)
app.add_typer(device.site_app, name="site")
app.command()(deploy.deploy)
app.command()(register.patients)
app.command()(register.observations)
app.command()(register.export)
app.command("patient-info")(register.patient_info)
app.command()(problems.problems)
# The web view over the register and what it needs.
app.command()(web.serve)
app.add_typer(web.user_app, name="user")
app.command()(web.audit)
app.command()(web.report)
app.add_typer(web.config_app, name="site-config")
# Exchange with other sectors: MedCom messages to the GP, vital-signs exports.
app.add_typer(fhir.fhir_app, name="fhir")


def main() -> None:
    typer.main.get_command(app).main(prog_name="tobs")
