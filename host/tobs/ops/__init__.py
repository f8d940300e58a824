"""What the tool does, as plain functions over a link to a handheld and a register: sync, enrol, push a site
configuration, deploy, the demo shift. No Typer and no printing here: callers get results, LinkError /
RegisterError / DeployError with one sentence, and progress through callbacks."""
