// Bugs reported in moby (Docker): devicemapper, plugins, bridge driver, health checks.
package main

import (
	"errors"
	"sync"
	"time"
)

// moby#4951 https://github.com/moby/moby/pull/4951
// AB-BA lock order: deactivating a device takes the global lock and the device's lock, drops
// the global lock to sleep while the device is removed, then takes the global lock again while
// still holding the device's; a concurrent remove holds the global lock and waits for the
// device's.

type dmDeviceInfo struct{ lock sync.Mutex }

type dmDeviceSet struct {
	sync.Mutex // the global lock
	devices    map[string]*dmDeviceInfo
}

func (devices *dmDeviceSet) deactivateDevice(hash string) {
	devices.Lock()
	info := devices.devices[hash]
	info.lock.Lock()
	defer info.lock.Unlock()
	devices.Unlock()
	time.Sleep(50 * time.Millisecond) // waiting for the busy mount to go away
	devices.Lock()                    // blocks: removeDevice holds it, waiting for info.lock
	defer devices.Unlock()
}

func (devices *dmDeviceSet) removeDevice(hash string) {
	time.Sleep(10 * time.Millisecond)
	devices.Lock()
	defer devices.Unlock()
	info := devices.devices[hash]
	info.lock.Lock() // blocks: deactivateDevice holds it
	defer info.lock.Unlock()
}

func moby4951ConcurrentRemove() {
	ds := &dmDeviceSet{devices: map[string]*dmDeviceInfo{"c0ffee": {}}}
	go ds.deactivateDevice("c0ffee")
	go ds.removeDevice("c0ffee")
}

// moby#17176 https://github.com/moby/moby/pull/17176
// Mutex never unlocked on an early return: cleanupDeletedDevices returns without Unlock when
// there is nothing to clean up, and every later device operation blocks on the lock.

type dmDeletionSet struct {
	sync.Mutex
	nrDeletedDevices int
	devices          map[string]bool
}

func (ds *dmDeletionSet) cleanupDeletedDevices() {
	ds.Lock()
	if ds.nrDeletedDevices == 0 {
		return // the bug: still locked
	}
	ds.nrDeletedDevices = 0
	ds.Unlock()
}

func (ds *dmDeletionSet) AddDevice(hash string) {
	ds.Lock() // blocks forever
	defer ds.Unlock()
	ds.devices[hash] = true
}

func moby17176DeferredDeletion() {
	ds := &dmDeletionSet{devices: map[string]bool{}}
	ds.cleanupDeletedDevices()
	go ds.AddDevice("layer-1")
	go ds.AddDevice("layer-2")
}

// moby#30408 https://github.com/moby/moby/pull/30408
// sync.Cond waited on after the last Broadcast: a v1 plugin's activation fails, but waitActive
// loops only on "activated", so the callers waiting for the plugin wait forever.

type dockerPlugin struct {
	activateWait *sync.Cond
	activated    bool
	activateErr  error
}

func (p *dockerPlugin) waitActive() error {
	p.activateWait.L.Lock()
	for !p.activated { // the bug: activateErr is not checked
		p.activateWait.Wait()
	}
	p.activateWait.L.Unlock()
	return p.activateErr
}

func (p *dockerPlugin) implements(kind string) bool {
	return p.waitActive() == nil && kind != ""
}

func (p *dockerPlugin) activateWithLock() {
	time.Sleep(10 * time.Millisecond) // the handshake fails
	p.activateWait.L.Lock()
	p.activateErr = errors.New("plugin not found")
	p.activateWait.L.Unlock()
	p.activateWait.Broadcast()
}

func moby30408PluginActivationError() {
	p := &dockerPlugin{activateWait: sync.NewCond(&sync.Mutex{})}
	go p.implements("VolumeDriver")
	go p.implements("NetworkDriver")
	go p.activateWithLock()
}

// moby#50619 https://github.com/moby/moby/issues/50619
// AB-BA lock order in the bridge driver: configure holds configNetwork and then takes the
// driver's lock (userlandProxyPath); a firewalld reload holds the driver's lock and then takes
// configNetwork.

type bridgeDriver struct {
	mu            sync.Mutex
	configNetwork sync.Mutex
	proxyPath     string
}

func (d *bridgeDriver) userlandProxyPath() string {
	d.mu.Lock() // blocks: handleFirewalldReloadNw holds it
	defer d.mu.Unlock()
	return d.proxyPath
}

func (d *bridgeDriver) configure() {
	d.configNetwork.Lock()
	defer d.configNetwork.Unlock()
	time.Sleep(50 * time.Millisecond) // initStore
	_ = d.userlandProxyPath()
}

func (d *bridgeDriver) handleFirewalldReloadNw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	d.configNetwork.Lock() // blocks: configure holds it
	defer d.configNetwork.Unlock()
}

func moby50619FirewalldReloadAtStartup() {
	d := &bridgeDriver{proxyPath: "/usr/bin/docker-proxy"}
	go d.configure()
	go d.handleFirewalldReloadNw()
}

// moby#28405 https://github.com/moby/moby/issues/28405
// Mutex held across a blocking send: stopping a container takes the container lock and sends
// on the health monitor's unbuffered stop channel; the monitor, finishing a probe, waits for
// the container lock in handleProbeResult and never reaches its select.

type dockerHealth struct{ stop chan struct{} }

type dockerContainer struct {
	sync.Mutex
	health *dockerHealth
	status string
}

func (h *dockerHealth) CloseMonitorChannel() {
	h.stop <- struct{}{} // blocks: the monitor waits for the container lock
}

func (c *dockerContainer) handleProbeResult(result string) {
	c.Lock() // blocks: containerStop holds it
	defer c.Unlock()
	c.status = result
}

func (c *dockerContainer) monitor() {
	for {
		select {
		case <-c.health.stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
		time.Sleep(50 * time.Millisecond) // the probe runs
		c.handleProbeResult("healthy")
	}
}

func (c *dockerContainer) containerStop() {
	c.Lock()
	defer c.Unlock()
	c.health.CloseMonitorChannel()
	c.status = "exited"
}

func moby28405StopWithHealthcheck() {
	c := &dockerContainer{health: &dockerHealth{stop: make(chan struct{})}}
	go c.monitor()
	time.Sleep(10 * time.Millisecond)
	go c.containerStop()
}

func init() {
	register(&bug{Name: "moby4951", Ref: "moby#4951", URL: "https://github.com/moby/moby/pull/4951",
		Shape:   "AB-BA lock order",
		Sites:   []site{{"main.(*dmDeviceSet).deactivateDevice", 1}, {"main.(*dmDeviceSet).removeDevice", 1}},
		Trigger: moby4951ConcurrentRemove})
	register(&bug{Name: "moby17176", Ref: "moby#17176", URL: "https://github.com/moby/moby/pull/17176",
		Shape: "mutex never unlocked on an early return",
		Sites: []site{{"main.(*dmDeletionSet).AddDevice", 2}}, Trigger: moby17176DeferredDeletion})
	register(&bug{Name: "moby30408", Ref: "moby#30408", URL: "https://github.com/moby/moby/pull/30408",
		Shape: "sync.Cond never signalled again (error not checked in the wait loop)",
		Sites: []site{{"main.(*dockerPlugin).waitActive", 2}}, Trigger: moby30408PluginActivationError})
	register(&bug{Name: "moby50619", Ref: "moby#50619", URL: "https://github.com/moby/moby/issues/50619",
		Shape:   "AB-BA lock order",
		Sites:   []site{{"main.(*bridgeDriver).userlandProxyPath", 1}, {"main.(*bridgeDriver).handleFirewalldReloadNw", 1}},
		Trigger: moby50619FirewalldReloadAtStartup})
	register(&bug{Name: "moby28405", Ref: "moby#28405", URL: "https://github.com/moby/moby/issues/28405",
		Shape:   "mutex held across a blocking send",
		Sites:   []site{{"main.(*dockerHealth).CloseMonitorChannel", 1}, {"main.(*dockerContainer).handleProbeResult", 1}},
		Trigger: moby28405StopWithHealthcheck})
}
