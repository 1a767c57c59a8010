"""Guided intake flows: YAML files walked one step at a time by one runner."""

from bot.flows.schema import Choice, Condition, Flow, FlowError, Step, flow_from_dict, load_flows

__all__ = ["Choice", "Condition", "Flow", "FlowError", "Step", "flow_from_dict", "load_flows"]
