#!/bin/bash
# The qemu test guest is the product's rescue guest (bootstrap/rescue-vm.sh, which
# `sysmanifest rehearse` runs): this name is kept for the tests and the fixtures' READMEs.
exec bash "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../bootstrap/rescue-vm.sh" "$@"
