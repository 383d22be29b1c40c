################################################################################
#
# lite: a prebuilt binary (scripts/cross-build), its configs and init scripts
#
################################################################################

LITE_VERSION = 0.1.0
LITE_SITE = $(call qstrip,$(BR2_PACKAGE_LITE_BINARY_DIR))
LITE_SITE_METHOD = local
LITE_LICENSE = Apache-2.0

ifeq ($(BR2_aarch64),y)
LITE_BINARY = lite-linux-arm64
else
LITE_BINARY = lite-linux-x64
endif

LITE_CONFIGS = $(call qstrip,$(BR2_PACKAGE_LITE_CONFIGS))
LITE_HOST_LITE = $(call qstrip,$(BR2_PACKAGE_LITE_HOST_LITE))

# The binary is prebuilt and already stripped: Buildroot must not strip it again
# (stripping a Bun executable drops the embedded program).
LITE_STRIP_EXCLUDE_FILES = lite

define LITE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/$(LITE_BINARY) $(TARGET_DIR)/usr/bin/lite
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/etc/lite $(TARGET_DIR)/var/lib/lite
	$(foreach c,$(LITE_CONFIGS),
		$(INSTALL) -D -m 0644 $(c) $(TARGET_DIR)/etc/lite/$(notdir $(c))
	)
endef

# One init script per config, written by lite itself from the validated config (the
# stop signal and timeout come from its [exec] section). Validation reads the host's
# copy of the config, so paths it names must exist on the host too.
define LITE_INSTALL_INIT_SYSV
	$(foreach c,$(LITE_CONFIGS),
		$(LITE_HOST_LITE) init-script --system sysv \
			--config-path /etc/lite/$(notdir $(c)) --lite /usr/bin/lite \
			-o $(TARGET_DIR)/etc/init.d/S95lite-$(basename $(notdir $(c))) $(c)
	)
endef

define LITE_INSTALL_INIT_SYSTEMD
	$(foreach c,$(LITE_CONFIGS),
		$(LITE_HOST_LITE) init-script --system systemd \
			--config-path /etc/lite/$(notdir $(c)) --lite /usr/bin/lite \
			-o $(TARGET_DIR)/usr/lib/systemd/system/lite-$(basename $(notdir $(c))).service $(c)
	)
endef

$(eval $(generic-package))
