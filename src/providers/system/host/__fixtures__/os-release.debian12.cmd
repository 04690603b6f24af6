cp /etc/os-release (this development host, Debian 12 bookworm, base-files 12.4+deb12u11)
