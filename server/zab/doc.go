// Package zab is ZooKeeper's atomic broadcast (ZAB 1.0, as Java 3.9 speaks it) as pure state
// machines: Leader and Learner (follower or observer). See doc in README-style below.
package zab
