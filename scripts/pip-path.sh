# Sourced by the scripts that run pip-installed tools (`bao`): pip may put them where PATH does
# not look (a --user install, a virtualenv's bin directory).
export PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$(python3 -m site --user-base)/bin"
