/**
 * Spring Boot auto-configuration for nyla-sync: a {@link dev.nyla.sync.client.NylaSync} client from
 * {@code nyla.sync.*} properties ({@link dev.nyla.sync.spring.NylaSyncProperties}), started before the
 * application reports ready and stopped with it, with an actuator health indicator and info contributor. Start
 * with {@code docs/spring-boot.md}.
 */
package dev.nyla.sync.spring;
