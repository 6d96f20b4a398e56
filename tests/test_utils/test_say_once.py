"""say_once: one log line per topic, for the process or for one object."""
import logging

from mmdet_shuffledefect import say_once as module
from mmdet_shuffledefect.say_once import say_once


class _Head:
    pass


def test_a_topic_is_said_once_per_process_and_once_per_owner(monkeypatch):
    said = []
    monkeypatch.setattr(module, 'print_log', lambda msg, **kw: said.append((msg, kw['level'])))
    assert say_once('test-say-once-process', 'first') is True
    assert say_once('test-say-once-process', 'again') is False
    a, b = _Head(), _Head()
    assert say_once('topic', 'from a', owner=a) is True
    assert say_once('topic', 'from a again', owner=a) is False
    assert say_once('topic', 'from b', owner=b) is True      # another owner says it too
    assert say_once('other', 'a new topic', owner=a, level=logging.WARNING) is True
    assert said == [('first', logging.INFO), ('_Head: from a', logging.INFO),
                    ('_Head: from b', logging.INFO), ('_Head: a new topic', logging.WARNING)]
    assert a.__dict__['_said'] == {'topic', 'other'} and b.__dict__['_said'] == {'topic'}
