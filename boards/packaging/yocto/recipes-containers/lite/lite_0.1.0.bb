SUMMARY = "lite: a daemonless container runtime for embedded Linux"
DESCRIPTION = "A prebuilt lite binary (scripts/cross-build), one container config under \
/etc/lite and its service definition, written by lite init-script on the build host."
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# The container this image starts at boot: files/${LITE_CONTAINER}.ini, with its
# service definitions generated beforehand on the build host (see boards/README.md):
#   lite init-script --system sysv    --config-path /etc/lite/NAME.ini NAME.ini -o files/lite-NAME.init
#   lite init-script --system systemd --config-path /etc/lite/NAME.ini NAME.ini -o files/lite-NAME.service
LITE_CONTAINER ?= "busybox"

LITE_ARCH:aarch64 = "arm64"
LITE_ARCH:x86-64 = "x64"
COMPATIBLE_HOST = "(aarch64|x86_64).*-linux"
# The Bun runtime inside lite is a glibc binary.
COMPATIBLE_HOST:libc-musl = "null"

SRC_URI = "file://lite-linux-${LITE_ARCH} \
           file://${LITE_CONTAINER}.ini \
           file://lite-${LITE_CONTAINER}.init \
           file://lite-${LITE_CONTAINER}.service"
S = "${WORKDIR}"

inherit update-rc.d systemd
INITSCRIPT_NAME = "lite-${LITE_CONTAINER}"
INITSCRIPT_PARAMS = "defaults 95 05"
SYSTEMD_SERVICE:${PN} = "lite-${LITE_CONTAINER}.service"

# A Bun executable carries its program after the ELF image: stripping would cut it off.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
INSANE_SKIP:${PN} += "already-stripped ldflags"

RDEPENDS:${PN} += "kernel-module-overlay kernel-module-squashfs kernel-module-loop"

do_install() {
    install -D -m 0755 ${WORKDIR}/lite-linux-${LITE_ARCH} ${D}${bindir}/lite
    install -D -m 0644 ${WORKDIR}/${LITE_CONTAINER}.ini ${D}${sysconfdir}/lite/${LITE_CONTAINER}.ini
    install -d ${D}${localstatedir}/lib/lite
    if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
        install -D -m 0755 ${WORKDIR}/lite-${LITE_CONTAINER}.init ${D}${sysconfdir}/init.d/lite-${LITE_CONTAINER}
    fi
    if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
        install -D -m 0644 ${WORKDIR}/lite-${LITE_CONTAINER}.service ${D}${systemd_system_unitdir}/lite-${LITE_CONTAINER}.service
    fi
}

FILES:${PN} += "${sysconfdir}/lite ${localstatedir}/lib/lite"
